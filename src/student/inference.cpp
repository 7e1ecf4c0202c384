#include "student/inference.h"

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

}  // namespace b2b
