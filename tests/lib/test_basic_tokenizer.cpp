#include <gtest/gtest.h>

#include "text/basic_tokenizer.h"

namespace b2b {
namespace {

using Words = std::vector<std::string>;

TEST(BasicTokenizer, LowercasesAndSplitsPunctuation) {
  BasicTokenizer tokenizer;
  EXPECT_EQ(
      tokenizer.tokenize("Hello, World! It's $5.00..."),
      (Words{"hello", ",", "world", "!", "it", "'", "s", "$", "5", ".", "00", ".", ".", "."}));
}

TEST(BasicTokenizer, StripsAccentsAfterNfd) {
  BasicTokenizer tokenizer;
  EXPECT_EQ(tokenizer.tokenize("Café NAÏVE Ångström"), (Words{"cafe", "naive", "angstrom"}));
}

TEST(BasicTokenizer, CasedKeepsCaseAndAccents) {
  BasicTokenizer tokenizer(BasicTokenizerOptions{false, {"[MASK]"}});
  EXPECT_EQ(tokenizer.tokenize("Café Bar"), (Words{"Café", "Bar"}));
}

TEST(BasicTokenizer, SplitsCjkCharactersAndUnicodePunctuation) {
  BasicTokenizer tokenizer;
  EXPECT_EQ(tokenizer.tokenize("我爱ab«c»"), (Words{"我", "爱", "ab", "«", "c", "»"}));
}

TEST(BasicTokenizer, DropsControlCharactersAndNormalizesWhitespace) {
  BasicTokenizer tokenizer;
  EXPECT_EQ(tokenizer.tokenize(std::string("a\x01"
                                           "b\tc\u00a0d\u200be\ufffd",
                                           15)),
            (Words{"ab", "c", "de"}));
  EXPECT_EQ(tokenizer.tokenize(" \t\n "), Words{});
}

TEST(BasicTokenizer, KeepsMaskWholeEvenInsideWords) {
  BasicTokenizer tokenizer;
  EXPECT_EQ(tokenizer.tokenize("a [MASK] film[MASK]s [mask]"),
            (Words{"a", "[MASK]", "film", "[MASK]", "s", "[", "mask", "]"}));
}

TEST(BasicTokenizer, AsciiSymbolsArePunctuation) {
  EXPECT_TRUE(is_bert_punctuation('$'));
  EXPECT_TRUE(is_bert_punctuation('^'));
  EXPECT_TRUE(is_bert_punctuation('`'));
  EXPECT_FALSE(is_bert_punctuation('a'));
  EXPECT_TRUE(is_bert_punctuation(0x2014));   // em dash, Pd
  EXPECT_FALSE(is_bert_punctuation(0x20AC));  // euro sign, Sc
}

}  // namespace
}  // namespace b2b
