#pragma once
// Deterministic, label-stratified train/dev/test split for datasets that ship without one.
#include <cstdint>
#include <string>

#include "data/task.h"

namespace b2b {

struct SplitOptions {
  double dev_ratio = 0.1;
  double test_ratio = 0.1;
  uint64_t seed = 1;
};

struct SplitCounts {
  size_t train = 0, dev = 0, test = 0, skipped = 0;
};

// Writes out_dir/{train,dev,test}.tsv: the header and the original records unchanged, in
// their original order. Each label's rows are shuffled with the seed and cut by the ratios.
SplitCounts split_dataset(const std::string& input, const TaskSpec& task,
                          const std::string& out_dir, const SplitOptions& options);

}  // namespace b2b
