#pragma once
// Batched student inference in the original example order.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "data/task.h"
#include "student/batching.h"
#include "student/model.h"

namespace b2b {

// (N, k) float logits, rows in the order of `examples`.
torch::Tensor predict_logits(StudentModel& model, const std::vector<EncodedExample>& examples,
                             size_t batch_size = 512, bool show_progress = false);

// The argmax and the softmax of one row of k logits.
struct RowPrediction {
  int label = 0;
  std::vector<float> probabilities;
};
RowPrediction predict_row(const float* logits, int k);

// {"label", "probabilities", "logits"} for one row of k logits: what `predict --json` prints
// per line and what the server answers.
nlohmann::json prediction_json(const float* logits, const TaskSpec& task);

}  // namespace b2b
