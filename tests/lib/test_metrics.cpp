#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data/metrics.h"

namespace b2b {
namespace {

TEST(Metrics, BinaryAccuracyF1AndConfusion) {
  // gold:      1 1 1 0 0 0 1 -1
  // predicted: 1 0 1 0 1 0 1  0
  const Metrics m =
      compute_metrics({1, 1, 1, 0, 0, 0, 1, -1}, {1, 0, 1, 0, 1, 0, 1, 0}, {"0", "1"});
  EXPECT_EQ(m.total, 7);
  EXPECT_EQ(m.correct, 5);
  EXPECT_DOUBLE_EQ(m.accuracy, 5.0 / 7);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{2, 1}, {1, 3}}));
  EXPECT_DOUBLE_EQ(m.precision[1], 3.0 / 4);
  EXPECT_DOUBLE_EQ(m.recall[1], 3.0 / 4);
  EXPECT_DOUBLE_EQ(m.positive_f1, 0.75);
  EXPECT_DOUBLE_EQ(m.precision[0], 2.0 / 3);
  EXPECT_EQ(metrics_to_json(m)["f1"].get<double>(), 0.75);
}

TEST(Metrics, ThreeClassesReportMacroF1) {
  const Metrics m = compute_metrics({0, 1, 2, 2}, {0, 2, 2, 2}, {"a", "b", "c"});
  EXPECT_DOUBLE_EQ(m.recall[1], 0.0);
  EXPECT_DOUBLE_EQ(m.f1[2], 0.8);
  EXPECT_DOUBLE_EQ(m.positive_f1, (1.0 + 0.0 + 0.8) / 3);
  EXPECT_NE(format_metrics(m).find("macro f1"), std::string::npos);
}

}  // namespace
}  // namespace b2b
