#pragma once
// The paper's student (METHOD.md section 2): word embeddings -> one BiLSTM layer -> the last
// state of each direction -> Linear -> ReLU -> dropout -> Linear = logits. Pair tasks share
// one BiLSTM (siamese) and classify [h1, h2, h1*h2, |h1-h2|].
// Parameter names match the equivalent PyTorch module, so model.safetensors loads there too.
#include <torch/torch.h>

#include "student/batching.h"
#include "student/config.h"

namespace b2b {

class StudentModelImpl : public torch::nn::Module {
 public:
  explicit StudentModelImpl(const StudentConfig& config);

  torch::Tensor forward(const Batch& batch);
  // (B, 2H): [forward state at the last word ; backward state at the first word]
  torch::Tensor encode(const torch::Tensor& ids, const torch::Tensor& lengths);

  // In training mode with dropout: the noise libtorch's dropout would draw for `rows` rows of
  // the hidden layer (keep-mask / (1 - p), from the default generator); undefined otherwise.
  torch::Tensor draw_dropout_noise(int64_t rows);

  // Fills the embedding tables from pretrained rows (vocab_size x embedding_dim).
  void set_pretrained_embeddings(const torch::Tensor& rows);
  int64_t count_parameters(bool with_embeddings) const;
  // The trained embedding table's gradient as the rows a batch touched (a sparse tensor)
  // instead of the whole table: see optim/adadelta.h.
  void set_sparse_embedding_gradients(bool sparse);
  // Runs torch::nn::LSTM's own packed forward instead of bilstm_last_states (the same
  // result up to float rounding; for the benchmark of the trainer as it was, and the tests).
  void set_torch_lstm(bool torch_lstm) { torch_lstm_ = torch_lstm; }
  const StudentConfig& config() const { return config_; }

 private:
  torch::Tensor embed(const torch::Tensor& ids);

  StudentConfig config_;
  bool torch_lstm_ = false;
  torch::nn::Embedding embedding_{nullptr};         // trained (rand, non-static, multichannel)
  torch::nn::Embedding embedding_static_{nullptr};  // frozen (static, multichannel)
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Linear hidden_{nullptr}, output_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(StudentModel);

}  // namespace b2b
