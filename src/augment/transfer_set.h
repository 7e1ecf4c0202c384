#pragma once
// `augment`: a task's training file in, the transfer set out (DESIGN.md): the original rows
// with their labels, then the augmented rows with an empty label.
#include <string>

#include "augment/augmenter.h"
#include "data/task.h"
#include "io/records.h"
#include "pos/tagger.h"

namespace b2b {

struct AugmentRunOptions {
  AugmentOptions augment;
  int threads = 1;
  FileFormat input_format = FileFormat::kTsv;  // how the input is written (the output is TSV)
};

struct AugmentSummary {
  size_t originals = 0, augmented = 0, words = 0;
  double tag_seconds = 0, augment_seconds = 0, write_seconds = 0;
};

// The paper's n_iter: 20 for single-sentence tasks (SST-2), 10 for pair tasks (MNLI, QQP).
int default_n_iter(const TaskSpec& task);

// Tokenizes and tags every sentence once, then augments. Deterministic for a seed, whatever
// the thread count. Output written atomically.
AugmentSummary augment_file(const PosTagger& tagger, TaskSpec task, const std::string& input,
                            const std::string& output, const AugmentRunOptions& options);

}  // namespace b2b
