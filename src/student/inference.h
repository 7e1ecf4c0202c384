#pragma once
// Batched student inference in the original example order.
#include <torch/torch.h>

#include <vector>

#include "student/batching.h"
#include "student/model.h"

namespace b2b {

// (N, k) float logits, rows in the order of `examples`.
torch::Tensor predict_logits(StudentModel& model, const std::vector<EncodedExample>& examples,
                             size_t batch_size = 512, bool show_progress = false);

}  // namespace b2b
