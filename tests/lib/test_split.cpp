#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "data/dataset.h"
#include "data/split.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

std::map<int, size_t> label_counts(const std::string& path, TaskSpec task) {
  std::map<int, size_t> counts;
  for (const auto& e : read_dataset(path, task).examples) ++counts[e.label];
  return counts;
}

TEST(Split, SickIsStratifiedDeterministicAndComplete) {
  test::TempDir dir;
  TaskSpec task = parse_task(
      "tsv:text_a=sentence_A,text_b=sentence_B,label=entailment_judgment,"
      "labels=CONTRADICTION|ENTAILMENT|NEUTRAL");
  SplitOptions options;
  options.seed = 7;
  const SplitCounts counts =
      split_dataset(test::shared("data/pairs/SICK/SICK.txt"), task, dir.path("a"), options);
  EXPECT_EQ(counts.train + counts.dev + counts.test, 9927u);
  const auto dev = label_counts(dir.path("a/dev.tsv"), task);
  EXPECT_EQ(dev.at(0), 146u);  // round(1459 * 0.1)
  EXPECT_EQ(dev.at(1), 286u);  // round(2857 * 0.1)
  EXPECT_EQ(dev.at(2), 561u);  // round(5611 * 0.1)
  split_dataset(test::shared("data/pairs/SICK/SICK.txt"), task, dir.path("b"), options);
  EXPECT_EQ(read_file(dir.path("a/train.tsv")), read_file(dir.path("b/train.tsv")));
  options.seed = 8;
  split_dataset(test::shared("data/pairs/SICK/SICK.txt"), task, dir.path("c"), options);
  EXPECT_NE(read_file(dir.path("a/dev.tsv")), read_file(dir.path("c/dev.tsv")));
}

// SICK's relatedness_score is a score: as label= it is refused, naming the column, and
// nothing is written.
TEST(Split, AScoreColumnIsRefusedAsALabel) {
  test::TempDir dir;
  const TaskSpec task =
      parse_task("tsv:text_a=sentence_A,text_b=sentence_B,label=relatedness_score");
  const std::string error = test::error_of([&] {
    split_dataset(test::shared("data/pairs/SICK/SICK.txt"), task, dir.path("out"), SplitOptions{});
  });
  EXPECT_NE(error.find("label column 'relatedness_score' holds"), std::string::npos) << error;
  EXPECT_NE(error.find("a score, not a class"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(dir.path("out/train.tsv")));
}

// distill --gold-size: each label its share of the rows, the records unchanged and in order.
TEST(GoldSample, Sst2TrainKeepsTheLabelProportionsAndTheRecords) {
  test::TempDir dir;
  TaskSpec task = parse_task("sst2");
  const std::string train = test::shared("data/glue/SST-2/train.tsv");
  const auto all = label_counts(train, task);
  const size_t total = all.at(0) + all.at(1);
  const GoldSample sample = sample_gold_rows(train, task, dir.path("a.tsv"), 1000, 3);
  EXPECT_EQ(sample.rows, 1000u);
  EXPECT_EQ(sample.labeled, total);
  const auto kept = label_counts(dir.path("a.tsv"), task);
  EXPECT_EQ(kept.at(0) + kept.at(1), 1000u);
  for (int label : {0, 1}) {
    const double exact = 1000.0 * all.at(label) / total;
    EXPECT_LT(std::abs(static_cast<double>(kept.at(label)) - exact), 1.0) << label;
    EXPECT_EQ(sample.per_label.at(std::to_string(label)), kept.at(label));
  }
  // The header and lines of train.tsv, a subsequence in file order.
  std::istringstream in(read_file(train)), out(read_file(dir.path("a.tsv")));
  std::string line, wanted;
  std::getline(out, wanted);
  std::getline(in, line);
  EXPECT_EQ(line, wanted);
  size_t matched = 0;
  while (std::getline(out, wanted)) {
    while (std::getline(in, line) && line != wanted) {
    }
    ASSERT_EQ(line, wanted) << "not in train.tsv, or out of order";
    ++matched;
  }
  EXPECT_EQ(matched, 1000u);

  sample_gold_rows(train, task, dir.path("b.tsv"), 1000, 3);
  EXPECT_EQ(read_file(dir.path("a.tsv")), read_file(dir.path("b.tsv")));
  sample_gold_rows(train, task, dir.path("c.tsv"), 1000, 4);
  EXPECT_NE(read_file(dir.path("a.tsv")), read_file(dir.path("c.tsv")));
  // All of them: the labeled records, unchanged.
  sample_gold_rows(train, task, dir.path("all.tsv"), total, 3);
  EXPECT_EQ(read_file(dir.path("all.tsv")), read_file(train));
}

TEST(GoldSample, MoreRowsThanTheTrainingSetHoldsIsRefusedWithTheNumbers) {
  test::TempDir dir;
  TaskSpec task = parse_task("sst2");
  const std::string train = test::shared("data/glue/SST-2/train.tsv");
  const std::string message =
      test::error_of([&] { sample_gold_rows(train, task, dir.path("g.tsv"), 67350, 1); });
  EXPECT_NE(message.find(train), std::string::npos) << message;
  EXPECT_NE(message.find("67350 is more than its 67349 labeled rows"), std::string::npos)
      << message;
  EXPECT_FALSE(std::filesystem::exists(dir.path("g.tsv")));
}

}  // namespace
}  // namespace b2b
