#pragma once
// BERT for sequence classification in libtorch, module for module as transformers'
// BertForSequenceClassification, so parameter names equal the checkpoint's tensor names:
// embeddings (word + position + token type, LayerNorm), post-LN encoder layers with a
// padding mask, tanh pooler over [CLS], classifier. Dropout follows train()/eval().
#include <torch/torch.h>

#include "teacher/bert_config.h"

namespace b2b {

class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids);

 private:
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
      token_type_embeddings{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertEmbeddings);

class BertSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit BertSelfAttentionImpl(const BertConfig& c);
  // additive_mask: (B, 1, 1, T), 0 for tokens and a large negative value for padding.
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& additive_mask);
  // Switching modes drops the fused inference weights (training changes the weights).
  void train(bool on = true) override;

 private:
  // (B, heads, T, d) each; in eval mode one GEMM computes all three.
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> project(const torch::Tensor& hidden);
  int64_t heads_, head_size_;
  torch::Tensor fused_weight_, fused_bias_;  // [query; key; value], built on first eval use
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertSelfAttention);

// dense -> dropout -> LayerNorm(x + residual): the "output" blocks of attention and FFN.
class BertResidualOutputImpl : public torch::nn::Module {
 public:
  BertResidualOutputImpl(const BertConfig& c, int64_t in_features);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual);

 private:
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertResidualOutput);

class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertConfig& c);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& additive_mask);

 private:
  BertSelfAttention self_attention{nullptr};
  BertResidualOutput attention_output{nullptr}, output{nullptr};
  torch::nn::Linear intermediate{nullptr};
};
TORCH_MODULE(BertLayer);

struct BertOutputs {
  torch::Tensor embedding_output, last_hidden_state, logits;
};

class BertClassifierImpl : public torch::nn::Module {
 public:
  explicit BertClassifierImpl(const BertConfig& c);
  // input_ids, token_type_ids, attention_mask: (B, T) int64.
  BertOutputs forward_all(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids,
                          const torch::Tensor& attention_mask);
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids,
                        const torch::Tensor& attention_mask) {
    return forward_all(input_ids, token_type_ids, attention_mask).logits;
  }
  const BertConfig& config() const { return config_; }

 private:
  BertConfig config_;
  BertEmbeddings embeddings{nullptr};
  torch::nn::ModuleList layers;
  torch::nn::Linear pooler{nullptr}, classifier{nullptr};
  torch::nn::Dropout classifier_dropout{nullptr};
};
TORCH_MODULE(BertClassifier);

}  // namespace b2b
