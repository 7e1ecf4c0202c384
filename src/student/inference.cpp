#include "student/inference.h"

#include <cmath>

#include "util/progress.h"

namespace b2b {

torch::Tensor predict_logits(StudentModel& model, const std::vector<EncodedExample>& examples,
                             size_t batch_size, bool show_progress) {
  torch::NoGradGuard no_grad;
  // Only a model in training mode is switched (and back): a server's workers share one model
  // in eval mode and must not write to it.
  const bool was_training = model->is_training();
  if (was_training) model->eval();
  torch::Tensor logits =
      torch::empty({static_cast<int64_t>(examples.size()), model->config().num_labels()});
  Progress progress("predict", show_progress ? static_cast<int64_t>(examples.size()) : 0,
                    "sentences");
  for (const auto& indices : inference_batches(examples, batch_size)) {
    const torch::Tensor batch_logits = model->forward(collate(examples, indices));
    const torch::Tensor rows = torch::from_blob(
        const_cast<size_t*>(indices.data()), {static_cast<int64_t>(indices.size())}, torch::kInt64);
    logits.index_copy_(0, rows, batch_logits);
    if (show_progress) progress.add(static_cast<int64_t>(indices.size()));
  }
  if (was_training) model->train();
  return logits;
}

RowPrediction predict_row(const float* logits, int k) {
  RowPrediction out;
  float top = logits[0];
  for (int c = 1; c < k; ++c) {
    if (logits[c] > top) top = logits[c], out.label = c;
  }
  double total = 0;
  for (int c = 0; c < k; ++c) total += std::exp(static_cast<double>(logits[c] - top));
  for (int c = 0; c < k; ++c)
    out.probabilities.push_back(static_cast<float>(std::exp(logits[c] - top) / total));
  return out;
}

nlohmann::json prediction_json(const float* logits, const TaskSpec& task) {
  const int k = task.num_labels();
  const RowPrediction p = predict_row(logits, k);
  return {{"label", task.labels[p.label]},
          {"probabilities", p.probabilities},
          {"logits", std::vector<float>(logits, logits + k)}};
}

}  // namespace b2b
