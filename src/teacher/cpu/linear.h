#pragma once
// One Linear layer of the teacher's encoder, y = x W^T + b, as a oneDNN matmul at a precision
// (teacher/cpu/precision.h), with what follows it fused where oneDNN allows:
//   Epilogue::gelu      y = gelu(x W^T + b), the erf form (BERT's intermediate layer);
//   Epilogue::residual  y += x W^T + b, y holding the residual on entry (BERT's output layers).
// At int8 the weights are quantized here, one scale per output channel; each call quantizes
// x's rows, one scale per row, multiplies in int8 with int32 sums, and scales back in float32.
// Weights are reordered once into the layout oneDNN picks (the same for every row count).
//
// Not thread-safe: one call at a time (it keeps scratch buffers and primitives per row count).
// oneDNN parallelizes each call over OpenMP's threads.
#include <cstdint>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "teacher/cpu/precision.h"

namespace b2b::cpu {

enum class Epilogue { none, gelu, residual };

class Linear {
 public:
  // weight: out x in, row-major (PyTorch's layout); bias: out.
  Linear(const float* weight, const float* bias, int64_t out, int64_t in, Precision precision,
         Epilogue epilogue);
  // x: rows x in; y: rows x out (with Epilogue::residual, the residual on entry).
  void forward(const float* x, int64_t rows, float* y);

  int64_t in() const { return in_; }
  int64_t out() const { return out_; }

 private:
  struct Kernel {
    dnnl::matmul matmul;
    dnnl::memory::desc weights_desc, scratchpad_desc;
    dnnl::eltwise_forward gelu;  // int8 only: applied after the int32 sums are scaled back
  };
  Kernel& kernel(int64_t rows);
  const dnnl::memory& weights_for(const dnnl::memory::desc& desc);
  void forward_int8(const float* x, int64_t rows, float* y, Kernel& k);
  dnnl::memory scratchpad(const Kernel& k);

  int64_t out_, in_;
  Precision precision_;
  Epilogue epilogue_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::memory plain_weights_;  // in x out view of the (quantized, converted) weights
  std::vector<std::pair<dnnl::memory::desc, dnnl::memory>> weights_;  // per layout used
  std::vector<float> bias_, weight_scales_;
  std::vector<uint16_t> weights_bf16_;
  std::vector<int8_t> weights_s8_;
  std::vector<float> weights_f32_;
  std::map<int64_t, Kernel> kernels_;  // by row count
  // Scratch for the converted input and int32 sums.
  std::vector<int8_t> x_s8_;
  std::vector<uint16_t> x_bf16_;
  std::vector<float> row_scales_;
  std::vector<int32_t> sums_;
  std::vector<uint8_t> scratchpad_;  // oneDNN's, kept: allocating it per call faults in pages
};

// The oneDNN CPU engine every teacher op shares.
const dnnl::engine& cpu_engine();

}  // namespace b2b::cpu
