#include "teacher/cpu/bert_cpu.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "util/error.h"

namespace b2b::cpu {

namespace {

using Tensors = std::map<std::string, torch::Tensor>;

std::vector<float> values(const Tensors& tensors, const std::string& name) {
  const auto found = tensors.find(name);
  if (found == tensors.end()) throw Error("teacher model has no parameter '" + name + "'");
  const torch::Tensor t = found->second.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

// C = alpha * A op(B), row-major, through oneDNN's sgemm (independent of the BLAS installed).
void sgemm(char transb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc) {
  if (dnnl_sgemm('N', transb, m, n, k, alpha, a, lda, b, ldb, 0.f, c, ldc) != dnnl_success)
    throw Error("oneDNN sgemm failed");
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void softmax_row(float* x, int64_t n) {
  float top = x[0];
  for (int64_t i = 1; i < n; ++i) top = std::max(top, x[i]);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - top);
    sum += x[i];
  }
  const float inverse = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inverse;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void normalize_row(float* x, int64_t n,
                                                                                const float* gamma,
                                                                                const float* beta,
                                                                                float eps) {
  float mean = 0;
#pragma omp simd reduction(+ : mean)
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<float>(n);
  float variance = 0;
#pragma omp simd reduction(+ : variance)
  for (int64_t i = 0; i < n; ++i) variance += (x[i] - mean) * (x[i] - mean);
  variance /= static_cast<float>(n);
  const float inverse = 1.0f / std::sqrt(variance + eps);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) x[i] = (x[i] - mean) * inverse * gamma[i] + beta[i];
}

}  // namespace

BertCpu::BertCpu(BertClassifier& model, const BertConfig& config, Precision precision)
    : config_(config), precision_(precision) {
  torch::NoGradGuard no_grad;
  Tensors tensors;
  for (const auto& item : model->named_parameters()) tensors.emplace(item.key(), item.value());
  const std::string e = "bert.embeddings.";
  word_ = values(tensors, e + "word_embeddings.weight");
  position_ = values(tensors, e + "position_embeddings.weight");
  token_type_ = values(tensors, e + "token_type_embeddings.weight");
  embedding_norm_ = {values(tensors, e + "LayerNorm.weight"),
                     values(tensors, e + "LayerNorm.bias")};
  const int64_t h = config.hidden_size, inner = config.intermediate_size;
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string p = "bert.encoder.layer." + std::to_string(i) + ".";
    auto get = [&](const std::string& name) { return values(tensors, p + name); };
    // Query, key and value in one GEMM: their weights stacked by output rows.
    std::vector<float> w, b;
    for (const char* part : {"query", "key", "value"}) {
      const auto pw = get(std::string("attention.self.") + part + ".weight");
      const auto pb = get(std::string("attention.self.") + part + ".bias");
      w.insert(w.end(), pw.begin(), pw.end());
      b.insert(b.end(), pb.begin(), pb.end());
    }
    Layer layer;
    layer.qkv = std::make_unique<Linear>(w.data(), b.data(), 3 * h, h, precision, Epilogue::none);
    layer.attention_out = std::make_unique<Linear>(get("attention.output.dense.weight").data(),
                                                   get("attention.output.dense.bias").data(), h, h,
                                                   precision, Epilogue::residual);
    layer.intermediate = std::make_unique<Linear>(get("intermediate.dense.weight").data(),
                                                  get("intermediate.dense.bias").data(), inner, h,
                                                  precision, Epilogue::gelu);
    layer.out =
        std::make_unique<Linear>(get("output.dense.weight").data(), get("output.dense.bias").data(),
                                 h, inner, precision, Epilogue::residual);
    layer.attention_norm = {get("attention.output.LayerNorm.weight"),
                            get("attention.output.LayerNorm.bias")};
    layer.out_norm = {get("output.LayerNorm.weight"), get("output.LayerNorm.bias")};
    layers_.push_back(std::move(layer));
  }
  pooler_weight_ = values(tensors, "bert.pooler.dense.weight");
  pooler_bias_ = values(tensors, "bert.pooler.dense.bias");
  classifier_weight_ = values(tensors, "classifier.weight");
  classifier_bias_ = values(tensors, "classifier.bias");
}

void BertCpu::layer_norm(const LayerNorm& norm, float* x, int64_t rows) const {
  const int64_t h = config_.hidden_size;
  const float eps = static_cast<float>(config_.layer_norm_eps);
#pragma omp parallel for
  for (int64_t r = 0; r < rows; ++r)
    normalize_row(x + r * h, h, norm.gamma.data(), norm.beta.data(), eps);
}

void BertCpu::attention(const std::vector<int64_t>& offsets) {
  const int64_t h = config_.hidden_size, heads = config_.num_attention_heads,
                d = config_.head_size(), sentences = static_cast<int64_t>(offsets.size()) - 1;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const float* qkv = qkv_.data();
  float* context = context_.data();
  // Each (sentence, head) is independent; oneDNN's sgemm runs single-threaded inside.
#pragma omp parallel
  {
    std::vector<float> scores;
#pragma omp for schedule(dynamic, 4)
    for (int64_t job = 0; job < sentences * heads; ++job) {
      const int64_t s = job / heads, head = job % heads;
      const int64_t begin = offsets[s], t = offsets[s + 1] - begin;
      const float* q = qkv + begin * 3 * h + head * d;
      scores.resize(static_cast<size_t>(t * t));
      sgemm('T', t, t, d, scale, q, 3 * h, q + h, 3 * h, scores.data(), t);
      for (int64_t r = 0; r < t; ++r) softmax_row(scores.data() + r * t, t);
      sgemm('N', t, d, t, 1.0f, scores.data(), t, q + 2 * h, 3 * h, context + begin * h + head * d,
            h);
    }
  }
}

void BertCpu::forward(const std::vector<Encoding>& encodings, const std::vector<size_t>& rows,
                      float* logits) {
  const int64_t h = config_.hidden_size, n = static_cast<int64_t>(rows.size());
  if (n == 0) return;
  const std::lock_guard<std::mutex> lock(busy_);
  std::vector<int64_t> offsets{0};
  for (size_t r : rows)
    offsets.push_back(offsets.back() + static_cast<int64_t>(encodings[r].ids.size()));
  const int64_t tokens = offsets.back();
  x_.resize(static_cast<size_t>(tokens * h));
  qkv_.resize(static_cast<size_t>(tokens * 3 * h));
  context_.resize(static_cast<size_t>(tokens * h));
  intermediate_.resize(static_cast<size_t>(tokens * config_.intermediate_size));

#pragma omp parallel for
  for (int64_t s = 0; s < n; ++s) {
    const Encoding& e = encodings[rows[s]];
    for (size_t p = 0; p < e.ids.size(); ++p) {
      float* x = x_.data() + (offsets[s] + static_cast<int64_t>(p)) * h;
      const float* word = word_.data() + e.ids[p] * h;
      const float* position = position_.data() + static_cast<int64_t>(p) * h;
      const float* type = token_type_.data() + e.type_ids[p] * h;
      for (int64_t i = 0; i < h; ++i) x[i] = word[i] + type[i] + position[i];
    }
  }
  layer_norm(embedding_norm_, x_.data(), tokens);

  for (Layer& layer : layers_) {
    layer.qkv->forward(x_.data(), tokens, qkv_.data());
    attention(offsets);
    layer.attention_out->forward(context_.data(), tokens, x_.data());  // x += attention
    layer_norm(layer.attention_norm, x_.data(), tokens);
    layer.intermediate->forward(x_.data(), tokens, intermediate_.data());
    layer.out->forward(intermediate_.data(), tokens, x_.data());  // x += feed-forward
    layer_norm(layer.out_norm, x_.data(), tokens);
  }

  // Pooler over each sentence's [CLS] row, then the classifier, in float32.
  cls_.resize(static_cast<size_t>(n * h));
  pooled_.resize(static_cast<size_t>(n * h));
  for (int64_t s = 0; s < n; ++s) std::copy_n(x_.data() + offsets[s] * h, h, cls_.data() + s * h);
  sgemm('T', n, h, h, 1.0f, cls_.data(), h, pooler_weight_.data(), h, pooled_.data(), h);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t i = 0; i < h; ++i)
      pooled_[s * h + i] = std::tanh(pooled_[s * h + i] + pooler_bias_[i]);
  const int64_t k = static_cast<int64_t>(classifier_bias_.size());
  sgemm('T', n, k, h, 1.0f, pooled_.data(), h, classifier_weight_.data(), h, logits, k);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t j = 0; j < k; ++j) logits[s * k + j] += classifier_bias_[j];
}

}  // namespace b2b::cpu
