#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pos/tagger.h"
#include "test_util.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {
namespace {

std::string ewt(const std::string& part) {
  return test::shared("data/pos/UD_English-EWT/en_ewt-ud-" + part + ".conllu");
}

TEST(Conllu, ReadsWordsAndPennTags) {
  const auto sentences = read_conllu(ewt("train"));
  EXPECT_EQ(sentences.size(), 12544u);
  size_t words = 0;
  for (const auto& s : sentences) words += s.words.size();
  EXPECT_EQ(words, 204577u);
  EXPECT_EQ(sentences[0].words[0], "Al");
  EXPECT_EQ(sentences[0].tags[0], "NNP");
  EXPECT_EQ(sentences[0].tags[1], "HYPH");
}

TEST(PosTagger, ReachesTheTargetAccuracyOnEwtTest) {
  const PosTagger tagger = PosTagger::train(read_conllu(ewt("train")), TaggerTrainOptions{12});
  const TaggerAccuracy result = evaluate_tagger(tagger, read_conllu(ewt("test")));
  EXPECT_EQ(result.total, 25094u);
  EXPECT_GE(result.accuracy(), 0.945);  // NLTK's feature set reaches 93.3% here
}

class SmallTagger : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto sentences = read_conllu(ewt("dev"));
    tagger_ = new PosTagger(PosTagger::train(sentences, TaggerTrainOptions{2}));
  }
  static void TearDownTestSuite() { delete tagger_; }
  static PosTagger* tagger_;
};
PosTagger* SmallTagger::tagger_ = nullptr;

TEST_F(SmallTagger, SavesAndLoadsTheSameModel) {
  test::TempDir dir;
  tagger_->save(dir.path("m.pos"));
  const PosTagger loaded = PosTagger::load(dir.path("m.pos"));
  const std::vector<std::string> words = {"The",  "zorblax", "quickly", "jumped",
                                          "over", "42",      "fences",  "."};
  EXPECT_EQ(loaded.tag(words), tagger_->tag(words));
  EXPECT_EQ(loaded.tag({}).size(), 0u);
  EXPECT_EQ(loaded.tag({"unseenword"}).size(), 1u);
}

TEST_F(SmallTagger, RejectsTruncatedAndForeignModels) {
  test::TempDir dir;
  tagger_->save(dir.path("m.pos"));
  const std::string bytes = read_file(dir.path("m.pos"));
  auto expect_error = [](const std::string& path, const std::string& needle) {
    try {
      PosTagger::load(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(dir.write("cut.pos", bytes.substr(0, bytes.size() / 2)), "truncated POS model");
  std::string other = bytes;
  other[8] = 7;  // format version 7
  expect_error(dir.write("v7.pos", other), "format version 7");
  expect_error(dir.write("text.pos", "hello world, not a model"), "not a bert2bilstm POS model");
  expect_error(dir.path("missing.pos"), "no such file");
}

}  // namespace
}  // namespace b2b
