// `augment` end to end on real SST-2 rows with a tagger trained on EWT.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "pos/tagger.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

using test::run_cli;
using test::shared;

class AugmentCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto sentences = read_conllu(shared("data/pos/UD_English-EWT/en_ewt-ud-dev.conllu"));
    PosTagger::train(sentences, TaggerTrainOptions{2}).save(dir_->path("tagger.pos"));
    std::istringstream in(read_file(shared("data/glue/SST-2/train.tsv")));
    std::string line, rows;
    for (int i = 0; i <= 2000 && std::getline(in, line); ++i) rows += line + "\n";
    dir_->write("train.tsv", rows);
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string augment(const std::string& input, const std::string& output,
                             const std::string& extra = "") {
    const auto r = run_cli("augment --task sst2 --input " + input + " --output " + output +
                           " --pos-model " + dir_->path("tagger.pos") + " " + extra);
    return r.exit_code == 0 ? "" : r.err;
  }
  static test::TempDir* dir_;
};
test::TempDir* AugmentCli::dir_ = nullptr;

TEST_F(AugmentCli, OriginalsFirstThenUnlabeledSamplesDeterministicAcrossThreads) {
  ASSERT_EQ(augment(dir_->path("train.tsv"), dir_->path("a.tsv"), "--threads 1 --seed 5"), "");
  ASSERT_EQ(augment(dir_->path("train.tsv"), dir_->path("b.tsv"), "--threads 2 --seed 5"), "");
  ASSERT_EQ(augment(dir_->path("train.tsv"), dir_->path("c.tsv"), "--threads 2 --seed 6"), "");
  const std::string a = read_file(dir_->path("a.tsv"));
  EXPECT_EQ(a, read_file(dir_->path("b.tsv")));
  EXPECT_NE(a, read_file(dir_->path("c.tsv")));
  std::istringstream in(a), original(read_file(dir_->path("train.tsv")));
  std::string line, expected;
  std::getline(in, line);
  EXPECT_EQ(line, "sentence\tlabel");
  std::getline(original, expected);
  size_t rows = 0, augmented = 0;
  while (std::getline(in, line)) {
    if (rows < 2000) {
      ASSERT_TRUE(std::getline(original, expected));
      EXPECT_EQ(line, expected);  // originals first, with their labels
    } else {
      EXPECT_EQ(line.back(), '\t');  // augmented rows: empty label
      ++augmented;
    }
    ++rows;
  }
  EXPECT_GT(augmented, 2000u * 5);  // n_iter 20, minus duplicates of short phrases
  EXPECT_LE(augmented, 2000u * 20);
}

TEST_F(AugmentCli, HandlesOneWordSentencesAndUnseenWords) {
  const std::string input =
      dir_->write("short.tsv", "sentence\tlabel\ngood\t1\nzzqxv\t0\nblorptastic fleem\t1\n");
  ASSERT_EQ(augment(input, dir_->path("short-out.tsv")), "");
  const std::string out = read_file(dir_->path("short-out.tsv"));
  EXPECT_EQ(out.rfind("sentence\tlabel\ngood\t1\nzzqxv\t0\nblorptastic fleem\t1\n", 0), 0u);
  EXPECT_GT(std::count(out.begin(), out.end(), '\n'), 4);
}

TEST_F(AugmentCli, BadInputIsOneClearError) {
  const std::string empty = dir_->write("empty.tsv", "");
  EXPECT_NE(augment(empty, dir_->path("o1.tsv")).find("empty file"), std::string::npos);
  const std::string bytes = read_file(dir_->path("tagger.pos"));
  const std::string cut = dir_->write("cut.pos", bytes.substr(0, 1000));
  const auto r = run_cli("augment --task sst2 --input " + dir_->path("train.tsv") + " --output " +
                         dir_->path("o2.tsv") + " --pos-model " + cut);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("truncated POS model"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_->path("o1.tsv")));
  EXPECT_FALSE(std::filesystem::exists(dir_->path("o2.tsv")));
}

}  // namespace
}  // namespace b2b
