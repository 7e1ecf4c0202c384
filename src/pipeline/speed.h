#pragma once
// The paper's speed table (its Table 3): parameters and wall time over the same sentences for
// teacher and student at the same batch size. Used by the distill report and `bench`.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/dataset.h"
#include "teacher/inference.h"

namespace b2b {

struct ModelSpeed {
  int64_t parameters = 0, parameters_without_embeddings = 0;
  double seconds = 0;  // one pass (tokenization, forward passes) over every sentence: the mean
  size_t passes = 0;   // how many timed passes the mean is over
  size_t sentences = 0;
  std::vector<int> predicted;  // the argmax of each row of logits, in input order
  double sentences_per_second() const { return seconds > 0 ? sentences / seconds : 0; }
};

// The teacher's embeddings are the word, position and token-type tables (not their LayerNorm).
ModelSpeed measure_teacher(const std::string& dir, const std::vector<Example>& examples, bool pair,
                           const TeacherRunOptions& run);
// The student on the BLAS runtime, with as many threads as libtorch has.
ModelSpeed measure_student(const std::string& dir, const std::vector<Example>& examples,
                           size_t batch);

}  // namespace b2b
