#include <gtest/gtest.h>

#include <limits>

#include "student/word_vectors.h"
#include "test_util.h"
#include "text/vocabulary.h"
#include "util/error.h"

namespace b2b {
namespace {

TEST(WordVectors, ReadsWord2VecBinary) {
  const Vocabulary vocab = Vocabulary::build({{"the", 3}, {"film", 2}, {"zzzunseen", 1}});
  const WordVectors v = load_word_vectors(test::shared("data/vectors/imdb-rt-skipgram-300d.bin"),
                                          VectorsFormat::kAuto, &vocab);
  EXPECT_EQ(v.format, VectorsFormat::kWord2VecBinary);
  EXPECT_EQ(v.dim, 300);
  EXPECT_EQ(v.total_words, 24173u);
  EXPECT_EQ(v.vectors.size(), 2u);  // the, film
  ASSERT_TRUE(v.vectors.count("film"));
  double norm = 0;
  for (float x : v.vectors.at("film")) norm += x * x;
  EXPECT_GT(norm, 0.01);
  EXPECT_LT(norm, 1e4);
}

TEST(WordVectors, ReadsWord2VecTextAndGlove) {
  const WordVectors w2v = load_word_vectors(
      test::shared("data/vectors/word2vec-GoogleNews-300d-normalized-top1000.txt"),
      VectorsFormat::kAuto);
  EXPECT_EQ(w2v.format, VectorsFormat::kWord2VecText);
  EXPECT_EQ(w2v.dim, 300);
  EXPECT_EQ(w2v.vectors.size(), 1000u);
  double norm = 0;
  for (float x : w2v.vectors.begin()->second) norm += x * x;
  EXPECT_NEAR(norm, 1.0, 1e-3);  // the file is unit-normalized

  const WordVectors glove = load_word_vectors(
      test::shared("data/vectors/glove.6B.50d.subset-1000.txt"), VectorsFormat::kAuto);
  EXPECT_EQ(glove.format, VectorsFormat::kGloveText);
  EXPECT_EQ(glove.dim, 50);
  EXPECT_EQ(glove.total_words, 1000u);
  EXPECT_NEAR(glove.vectors.at("people")[0], 0.95281f, 1e-6);

  const WordVectors twitter = load_word_vectors(
      test::shared("data/vectors/glove.twitter.27B.25d.subset-11925.txt"), VectorsFormat::kAuto);
  EXPECT_EQ(twitter.dim, 25);
  EXPECT_EQ(twitter.total_words, 11925u);
}

TEST(WordVectors, RejectsBrokenFiles) {
  test::TempDir dir;
  EXPECT_THROW(load_word_vectors(dir.write("ragged.txt", "a 1 2 3\nb 1 2\n"), VectorsFormat::kAuto),
               Error);
  EXPECT_THROW(load_word_vectors(dir.write("cut.bin", "3 4\nab \x01\x02"), VectorsFormat::kAuto),
               Error);
  EXPECT_THROW(load_word_vectors(dir.write("empty.txt", ""), VectorsFormat::kAuto), Error);
  EXPECT_THROW(load_word_vectors(dir.path("none.bin"), VectorsFormat::kAuto), Error);
  const std::string nan_text = dir.write("nan.txt", "a 1 2 3\nb 1 nan 2\n");
  EXPECT_EQ(test::error_of([&] { load_word_vectors(nan_text, VectorsFormat::kAuto); }),
            nan_text + ":2: vector holds a non-number (or nan, inf)");
  const float inf = std::numeric_limits<float>::infinity();
  const std::string bin =
      "1 2\nab " + std::string(reinterpret_cast<const char*>(&inf), 4) + std::string(4, '\0');
  const std::string inf_bin = dir.write("inf.bin", bin);
  EXPECT_EQ(test::error_of([&] { load_word_vectors(inf_bin, VectorsFormat::kAuto); }),
            inf_bin + ": the vector of 'ab' holds nan or inf");
}

}  // namespace
}  // namespace b2b
