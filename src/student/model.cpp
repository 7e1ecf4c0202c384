#include "student/model.h"

#include <algorithm>

#include "student/bilstm.h"
#include "text/vocabulary.h"

namespace b2b {

namespace {

torch::nn::Embedding make_embedding(const StudentConfig& config) {
  torch::nn::Embedding table(torch::nn::EmbeddingOptions(config.vocab_size, config.embedding_dim));
  torch::NoGradGuard no_grad;
  // Words without a pretrained vector start as U(-0.25, 0.25), as in Kim (2014) and the paper.
  table->weight.uniform_(-0.25, 0.25);
  table->weight[Vocabulary::kPad].zero_();
  return table;
}

}  // namespace

StudentModelImpl::StudentModelImpl(const StudentConfig& config) : config_(config) {
  const auto mode = config.embedding_mode;
  if (mode != EmbeddingMode::kStatic)
    embedding_ = register_module("embedding", make_embedding(config));
  if (mode == EmbeddingMode::kStatic || mode == EmbeddingMode::kMultichannel) {
    embedding_static_ = register_module("embedding_static", make_embedding(config));
    embedding_static_->weight.set_requires_grad(false);
  }
  lstm_ = register_module(
      "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(config.lstm_input_size(), config.hidden_size)
                                  .batch_first(true)
                                  .bidirectional(true)));
  const int64_t features = (config.task.is_pair() ? 8 : 2) * config.hidden_size;
  hidden_ = register_module("hidden", torch::nn::Linear(features, config.fc_size));
  output_ = register_module("output", torch::nn::Linear(config.fc_size, config.num_labels()));
  dropout_ = register_module("dropout", torch::nn::Dropout(config.dropout));
}

torch::Tensor StudentModelImpl::embed(const torch::Tensor& ids) {
  if (embedding_static_ && embedding_)
    return torch::cat({embedding_static_(ids), embedding_(ids)}, -1);
  return embedding_ ? embedding_(ids) : embedding_static_(ids);
}

torch::Tensor StudentModelImpl::encode(const torch::Tensor& ids, const torch::Tensor& lengths) {
  if (!torch_lstm_)
    return bilstm_last_states(
        lstm_, [this](const torch::Tensor& words) { return embed(words); }, ids, lengths);
  auto packed = torch::nn::utils::rnn::pack_padded_sequence(embed(ids), lengths,
                                                            /*batch_first=*/true,
                                                            /*enforce_sorted=*/false);
  auto result = lstm_->forward_with_packed_input(packed);
  const torch::Tensor& h_n = std::get<0>(std::get<1>(result));  // (2, B, H), in batch order
  return torch::cat({h_n[0], h_n[1]}, -1);
}

torch::Tensor StudentModelImpl::forward(const Batch& batch) {
  torch::Tensor features;
  if (!config_.task.is_pair()) {
    features = encode(batch.ids_a, batch.lengths_a);
  } else {
    // One BiLSTM pass over both sides (siamese): the first B rows are the first sentences.
    const int64_t rows = batch.ids_a.size(0);
    const int64_t width = std::max(batch.ids_a.size(1), batch.ids_b.size(1));
    auto pad = [&](const torch::Tensor& ids) {
      return torch::constant_pad_nd(ids, {0, width - ids.size(1)}, Vocabulary::kPad);
    };
    const torch::Tensor both = encode(torch::cat({pad(batch.ids_a), pad(batch.ids_b)}),
                                      torch::cat({batch.lengths_a, batch.lengths_b}));
    const torch::Tensor h1 = both.narrow(0, 0, rows), h2 = both.narrow(0, rows, rows);
    features = torch::cat({h1, h2, h1 * h2, (h1 - h2).abs()}, -1);
  }
  const torch::Tensor hidden = torch::relu(hidden_(features));
  if (batch.dropout_noise.defined() && is_training()) return output_(hidden * batch.dropout_noise);
  return output_(dropout_(hidden));
}

torch::Tensor StudentModelImpl::draw_dropout_noise(int64_t rows) {
  const double p = config_.dropout;
  if (!is_training() || p <= 0) return {};
  // As at::dropout draws it on the CPU: Bernoulli(1 - p) scaled by 1 / (1 - p).
  return torch::empty({rows, config_.fc_size}).bernoulli_(1 - p).div_(1 - p);
}

void StudentModelImpl::set_pretrained_embeddings(const torch::Tensor& rows) {
  torch::NoGradGuard no_grad;
  if (embedding_) embedding_->weight.copy_(rows);
  if (embedding_static_) embedding_static_->weight.copy_(rows);
}

void StudentModelImpl::set_sparse_embedding_gradients(bool sparse) {
  if (embedding_) embedding_->options.sparse(sparse);
}

int64_t StudentModelImpl::count_parameters(bool with_embeddings) const {
  int64_t total = 0;
  for (const auto& item : named_parameters()) {
    if (!with_embeddings && item.key().rfind("embedding", 0) == 0) continue;
    total += item.value().numel();
  }
  return total;
}

}  // namespace b2b
