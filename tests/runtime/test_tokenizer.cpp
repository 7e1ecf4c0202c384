// The public tokenizer (bert2bilstm/tokenizer.h): the ids the classifier reads, from config.json
// and vocab.txt alone, in a program linked with libbert2bilstm only.
#include <gtest/gtest.h>

#include <filesystem>

#include "bert2bilstm/classifier.h"
#include "bert2bilstm/tokenizer.h"
#include "random_student.h"
#include "test_util.h"

namespace b2b {
namespace {

using test::write_random_student;

TEST(TokenizerApi, GivesTheVocabularyIdsOfTheWords) {
  test::TempDir dir;
  write_random_student(dir.path("s"), false, EmbeddingMode::kRand);  // vocab: good bad film a
  const auto tokenizer = Tokenizer::load(dir.path("s"));
  ASSERT_EQ(tokenizer->vocab_size(), 7u);  // [PAD] [UNK] [MASK] good bad film a
  EXPECT_EQ(tokenizer->word(0), "[PAD]");
  EXPECT_EQ(tokenizer->word(Tokenizer::kUnkId), "[UNK]");
  EXPECT_EQ(tokenizer->encode("A GOOD, film!"),
            (std::vector<int64_t>{6, 3, Tokenizer::kUnkId, 5, Tokenizer::kUnkId}));
  EXPECT_EQ(tokenizer->words("A GOOD, film!"),
            (std::vector<std::string>{"a", "good", ",", "film", "!"}));
  EXPECT_EQ(tokenizer->encode(" \t"), (std::vector<int64_t>{Tokenizer::kUnkId}));
  EXPECT_FALSE(tokenizer->is_pair());
  EXPECT_THROW(tokenizer->word(7), Error);
  EXPECT_THROW(tokenizer->encode("bad \xff byte"), Error);
}

TEST(TokenizerApi, CutsAtMaxWordsAsTheClassifierDoes) {
  test::TempDir dir;
  write_random_student(dir.path("s"), false, EmbeddingMode::kRand);
  std::string text;
  for (int i = 0; i < 30; ++i) text += i % 2 ? "good " : "bad ";
  EXPECT_EQ(Tokenizer::load(dir.path("s"), 0)->encode(text).size(), 30u);
  const auto cut = Tokenizer::load(dir.path("s"), 7)->encode(text);
  ASSERT_EQ(cut.size(), 7u);
  // The classifier with the same limit reads the same ids: the text cut to them scores alike.
  ClassifierOptions options;
  options.max_words = 7;
  const auto model = Classifier::load(dir.path("s"), options);
  std::string first;
  for (int i = 0; i < 7; ++i) first += i % 2 ? "good " : "bad ";
  EXPECT_EQ(model->logits(std::vector<std::string>{text}),
            model->logits(std::vector<std::string>{first}));
}

TEST(TokenizerApi, NeedsNoWeightsAndNamesAMissingFile) {
  test::TempDir dir;
  write_random_student(dir.path("s"), true, EmbeddingMode::kRand);
  std::filesystem::remove(dir.path("s/model.safetensors"));
  EXPECT_TRUE(Tokenizer::load(dir.path("s"))->is_pair());
  std::filesystem::remove(dir.path("s/vocab.txt"));
  try {
    Tokenizer::load(dir.path("s"));
    FAIL() << "loaded without vocab.txt";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.txt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace b2b
