#pragma once
// Batched inference with the libtorch student, for dev scores during training (deployment
// runs on the BLAS runtime: runtime/student_runtime.h).
#include <torch/torch.h>

#include <vector>

#include "data/task.h"
#include "student/batching.h"
#include "student/model.h"

namespace b2b {

// (N, k) float logits, rows in the order of `examples`.
torch::Tensor predict_logits(StudentModel& model, const std::vector<EncodedExample>& examples,
                             size_t batch_size = 512, bool show_progress = false);

}  // namespace b2b
