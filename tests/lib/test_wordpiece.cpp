#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "text/wordpiece.h"
#include "util/error.h"

namespace b2b {
namespace {

TEST(WordPiece, MatchesTransformersOnEveryFixtureLine) {
  const auto tokenizer = WordPieceTokenizer::from_vocab_file(test::shared("data/bert/vocab.txt"));
  std::ifstream in(test::shared("fixtures/tokenizer/wordpiece_uncased.jsonl"));
  std::string line;
  size_t lines = 0, mismatches = 0;
  while (std::getline(in, line)) {
    ++lines;
    const auto row = nlohmann::json::parse(line);
    const std::string text = row["text"].get<std::string>();
    Encoding encoding;
    if (row["text_pair"].is_null()) {
      encoding = tokenizer.encode(text);
    } else {
      const std::string pair = row["text_pair"].get<std::string>();
      encoding = tokenizer.encode(text, std::string_view(pair));
    }
    const auto expected = row["ids"].get<std::vector<int64_t>>();
    if (encoding.ids != expected && ++mismatches <= 5) {
      ADD_FAILURE() << "line " << lines << " (" << row["split"] << "): " << line.substr(0, 200);
    }
  }
  EXPECT_EQ(lines, 3908u);
  EXPECT_EQ(mismatches, 0u);
}

TEST(WordPiece, PairsGetSegmentIdsAndLongestFirstTruncation) {
  const auto tokenizer = WordPieceTokenizer::from_vocab_file(test::shared("data/bert/vocab.txt"));
  const Encoding e = tokenizer.encode("the cat", std::string_view("a dog ran"));
  EXPECT_EQ(e.ids.size(), 8u);
  EXPECT_EQ(e.type_ids, (std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1}));
  const Encoding cut = tokenizer.encode("one two three four five six", std::string_view("a b"), 8);
  EXPECT_EQ(cut.ids.size(), 8u);  // [CLS] 3 words [SEP] a b [SEP]: the longer side gives way
  EXPECT_EQ(cut.type_ids, (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 1, 1}));
  const Encoding single = tokenizer.encode("one two three four five six", std::nullopt, 5);
  EXPECT_EQ(single.ids.size(), 5u);
  EXPECT_EQ(single.ids.back(), 102);
}

TEST(WordPiece, LongestFirstSplitsTheBudgetAsTokenizersDoes) {
  std::vector<int64_t> a(10, 1), b(3, 2);
  truncate_longest_first(a, b, 8);
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(b.size(), 3u);
  a.assign(10, 1);
  b.assign(9, 2);
  truncate_longest_first(a, b, 7);
  EXPECT_EQ(a.size(), 4u);  // the longer one keeps the odd token
  EXPECT_EQ(b.size(), 3u);
}

TEST(WordPiece, VocabularyWithoutSpecialTokensIsRejected) {
  test::TempDir dir;
  EXPECT_THROW(WordPieceTokenizer::from_vocab_file(dir.write("vocab.txt", "a\nb\n")), Error);
  EXPECT_THROW(WordPieceTokenizer::from_vocab_file(dir.path("none.txt")), Error);
}

}  // namespace
}  // namespace b2b
