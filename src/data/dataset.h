#pragma once
// Reading task files (GLUE layouts, generic TSV) and transfer sets (the task's text
// columns, `label`, `logit_0..logit_{k-1}`) into examples.
#include <string>
#include <vector>

#include "data/task.h"

namespace b2b {

struct Example {
  std::string text_a, text_b;
  int label = -1;             // -1: no gold label (augmented or unlabeled row)
  std::vector<float> logits;  // the teacher's, in a transfer set
};

struct Dataset {
  std::string path;
  std::vector<Example> examples;
  bool has_logits = false;
  size_t skipped_unlabeled = 0;  // rows without a label in a file that should have one
  size_t skipped_malformed = 0;  // rows with the wrong number of fields (QQP only)
};

struct ReadOptions {
  // Gold rows need a label; rows without one are skipped and counted. With false (predict),
  // the label column may be absent and labels are read where present.
  bool labels_required = true;
  // A generic task without a fixed label list takes the sorted label names it finds.
  bool discover_labels = false;
};

// Throws Error naming the file (and line) for any problem: missing file, empty file,
// missing columns, wrong field counts, invalid UTF-8, unknown labels, no rows.
Dataset read_dataset(const std::string& path, TaskSpec& task, const ReadOptions& options = {});

}  // namespace b2b
