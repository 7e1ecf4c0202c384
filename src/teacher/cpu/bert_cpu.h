#pragma once
// The teacher's forward pass for inference on CPU, without libtorch's eager operators:
// oneDNN matmuls at fp32, bf16 or int8 (teacher/cpu/linear.h) for the encoder's Linear layers,
// and float32 loops for the rest. A batch is ragged: its sentences' tokens are concatenated,
// so no work is spent on padding, and attention runs per sentence and head (oneDNN's sgemm).
// The same math as BertClassifier in eval mode (teacher/bert_model.h); at fp32 the logits
// agree with transformers' within float32 rounding.
//
// Built from a loaded model's weights (copied: the libtorch model may be freed or trained
// on). Thread-safe: concurrent calls take turns (each is parallel inside, over OpenMP's
// threads, and reuses the activation buffers).
#include <memory>
#include <mutex>
#include <vector>

#include "teacher/bert_model.h"
#include "teacher/cpu/linear.h"
#include "text/wordpiece.h"

namespace b2b::cpu {

class BertCpu {
 public:
  BertCpu(BertClassifier& model, const BertConfig& config, Precision precision);
  Precision precision() const { return precision_; }
  // Logits of encodings[rows[i]] into logits + i * num_labels.
  void forward(const std::vector<Encoding>& encodings, const std::vector<size_t>& rows,
               float* logits);

 private:
  struct LayerNorm {
    std::vector<float> gamma, beta;
  };
  struct Layer {
    std::unique_ptr<Linear> qkv, attention_out, intermediate, out;
    LayerNorm attention_norm, out_norm;
  };
  void layer_norm(const LayerNorm& norm, float* x, int64_t rows) const;
  void attention(const std::vector<int64_t>& offsets);

  BertConfig config_;
  Precision precision_;
  std::vector<float> word_, position_, token_type_;
  LayerNorm embedding_norm_;
  std::vector<Layer> layers_;
  std::vector<float> pooler_weight_, pooler_bias_, classifier_weight_, classifier_bias_;
  std::mutex busy_;
  // Activations, reused across calls.
  std::vector<float> x_, qkv_, context_, intermediate_, cls_, pooled_;
};

}  // namespace b2b::cpu
