#include <gtest/gtest.h>

#include <map>

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

}  // namespace
}  // namespace b2b
