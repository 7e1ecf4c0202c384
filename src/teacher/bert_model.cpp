#include "teacher/bert_model.h"

#include <cmath>
#include <limits>

namespace b2b {

namespace {
torch::nn::LayerNorm make_layer_norm(const BertConfig& c) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}
}  // namespace

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& c) {
  word_embeddings =
      register_module("word_embeddings", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  position_embeddings = register_module(
      "position_embeddings", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  token_type_embeddings = register_module("token_type_embeddings",
                                          torch::nn::Embedding(c.type_vocab_size, c.hidden_size));
  layer_norm = register_module("LayerNorm", make_layer_norm(c));
  dropout = register_module("dropout", torch::nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& input_ids,
                                          const torch::Tensor& token_type_ids) {
  const auto positions = torch::arange(input_ids.size(1), input_ids.options()).unsqueeze(0);
  const auto sum = word_embeddings(input_ids) + token_type_embeddings(token_type_ids) +
                   position_embeddings(positions);
  return dropout(layer_norm(sum));
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertConfig& c)
    : heads_(c.num_attention_heads), head_size_(c.head_size()) {
  query = register_module("query", torch::nn::Linear(c.hidden_size, c.hidden_size));
  key = register_module("key", torch::nn::Linear(c.hidden_size, c.hidden_size));
  value = register_module("value", torch::nn::Linear(c.hidden_size, c.hidden_size));
  dropout = register_module("dropout", torch::nn::Dropout(c.attention_probs_dropout_prob));
}

void BertSelfAttentionImpl::train(bool on) {
  fused_weight_ = torch::Tensor();
  fused_bias_ = torch::Tensor();
  torch::nn::Module::train(on);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> BertSelfAttentionImpl::project(
    const torch::Tensor& hidden) {
  const int64_t batch = hidden.size(0), length = hidden.size(1);
  auto split_heads = [&](const torch::Tensor& x) {
    return x.view({batch, length, heads_, head_size_}).transpose(1, 2);  // (B, heads, T, d)
  };
  if (is_training())
    return {split_heads(query(hidden)), split_heads(key(hidden)), split_heads(value(hidden))};
  if (!fused_weight_.defined() || fused_weight_.device() != query->weight.device() ||
      fused_weight_.scalar_type() != query->weight.scalar_type()) {
    fused_weight_ = torch::cat({query->weight, key->weight, value->weight}).t().contiguous();
    fused_bias_ = torch::cat({query->bias, key->bias, value->bias});
  }
  const auto qkv = torch::addmm(fused_bias_, hidden.reshape({batch * length, -1}), fused_weight_)
                       .view({batch, length, 3, heads_, head_size_})
                       .permute({2, 0, 3, 1, 4});  // (3, B, heads, T, d)
  return {qkv[0], qkv[1], qkv[2]};
}

torch::Tensor BertSelfAttentionImpl::forward(const torch::Tensor& hidden,
                                             const torch::Tensor& additive_mask) {
  const int64_t batch = hidden.size(0), length = hidden.size(1);
  auto [q, k, v] = project(hidden);
  const auto scores =
      torch::matmul(q, k.transpose(-1, -2)).mul_(1.0 / std::sqrt(static_cast<double>(head_size_)));
  const auto probs = dropout(torch::softmax(scores.add_(additive_mask), -1));
  return torch::matmul(probs, v).transpose(1, 2).reshape({batch, length, heads_ * head_size_});
}

BertResidualOutputImpl::BertResidualOutputImpl(const BertConfig& c, int64_t in_features) {
  dense = register_module("dense", torch::nn::Linear(in_features, c.hidden_size));
  layer_norm = register_module("LayerNorm", make_layer_norm(c));
  dropout = register_module("dropout", torch::nn::Dropout(c.hidden_dropout_prob));
}

torch::Tensor BertResidualOutputImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& residual) {
  return layer_norm(dropout(dense(x)) + residual);
}

BertLayerImpl::BertLayerImpl(const BertConfig& c) {
  // transformers nests these as attention.self, attention.output, intermediate.dense, output.
  auto attention = register_module("attention", std::make_shared<torch::nn::Module>());
  self_attention = attention->register_module("self", BertSelfAttention(c));
  attention_output = attention->register_module("output", BertResidualOutput(c, c.hidden_size));
  auto intermediate_block = register_module("intermediate", std::make_shared<torch::nn::Module>());
  intermediate = intermediate_block->register_module(
      "dense", torch::nn::Linear(c.hidden_size, c.intermediate_size));
  output = register_module("output", BertResidualOutput(c, c.intermediate_size));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& hidden,
                                     const torch::Tensor& additive_mask) {
  const auto attended = attention_output(self_attention(hidden, additive_mask), hidden);
  return output(torch::gelu(intermediate(attended)), attended);  // gelu: the erf form
}

BertClassifierImpl::BertClassifierImpl(const BertConfig& c) : config_(c) {
  auto bert = register_module("bert", std::make_shared<torch::nn::Module>());
  embeddings = bert->register_module("embeddings", BertEmbeddings(c));
  auto encoder = bert->register_module("encoder", std::make_shared<torch::nn::Module>());
  layers = encoder->register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(BertLayer(c));
  auto pooler_block = bert->register_module("pooler", std::make_shared<torch::nn::Module>());
  pooler = pooler_block->register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
  classifier = register_module(
      "classifier", torch::nn::Linear(c.hidden_size, std::max<int64_t>(c.num_labels, 1)));
  classifier_dropout = register_module(
      "classifier_dropout",
      torch::nn::Dropout(c.classifier_dropout >= 0 ? c.classifier_dropout : c.hidden_dropout_prob));
}

BertOutputs BertClassifierImpl::forward_all(const torch::Tensor& input_ids,
                                            const torch::Tensor& token_type_ids,
                                            const torch::Tensor& attention_mask) {
  BertOutputs out;
  out.embedding_output = embeddings(input_ids, token_type_ids);
  // (B, 1, 1, T): 0 where attended, the dtype's minimum where padded (as transformers).
  const auto dtype = out.embedding_output.scalar_type();
  const double lowest = dtype == torch::kBFloat16  ? -3.3895313892515355e38
                        : dtype == torch::kFloat16 ? -65504.0
                                                   : std::numeric_limits<float>::lowest();
  const auto additive_mask = (1.0 - attention_mask.to(dtype)).mul(lowest).unsqueeze(1).unsqueeze(2);
  torch::Tensor hidden = out.embedding_output;
  for (const auto& layer : *layers)
    hidden = layer->as<BertLayerImpl>()->forward(hidden, additive_mask);
  out.last_hidden_state = hidden;
  const auto pooled = torch::tanh(pooler(hidden.select(1, 0)));
  out.logits = classifier(classifier_dropout(pooled));
  return out;
}

}  // namespace b2b
