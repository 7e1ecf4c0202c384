#pragma once
// Deterministic, label-stratified train/dev/test split for datasets that ship without one.
#include <cstdint>
#include <map>
#include <string>

#include "data/task.h"
#include "io/records.h"

namespace b2b {

struct SplitOptions {
  double dev_ratio = 0.1;
  double test_ratio = 0.1;
  uint64_t seed = 1;
  FileFormat format = FileFormat::kTsv;  // of the input, and so of the files written
};

struct SplitCounts {
  size_t train = 0, dev = 0, test = 0, skipped = 0;
};

// Writes out_dir/{train,dev,test}.EXT (EXT: tsv, csv or jsonl, the input's format): the header
// and the original records unchanged (a csv record's line breaks written as "\n"), in their
// original order. Each label's rows are shuffled with the seed and cut by the ratios.
SplitCounts split_dataset(const std::string& input, const TaskSpec& task,
                          const std::string& out_dir, const SplitOptions& options);

struct GoldSample {
  size_t rows = 0, labeled = 0;             // rows kept, of the labeled rows read
  std::map<std::string, size_t> per_label;  // rows kept by label name
};

// `distill --gold-size`: a label-stratified, seeded sample of `rows` labeled rows of `input`
// (each label its share of `rows`, by largest remainder), written to `output` atomically with
// the header and records unchanged, in their original order. `input` is a TSV task file (distill
// rewrites others as TSV first). Throws Error naming the file when `rows` exceeds the labeled
// rows.
GoldSample sample_gold_rows(const std::string& input, const TaskSpec& task,
                            const std::string& output, size_t rows, uint64_t seed);

}  // namespace b2b
