#include "teacher/cpu/linear.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace b2b::cpu {

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// Round to nearest even, as PyTorch and oneDNN convert float32 to bfloat16.
__attribute__((target_clones("avx512f", "avx2", "default"))) void to_bf16(const float* x, size_t n,
                                                                          uint16_t* out) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &x[i], 4);
    const bool nan = (bits & 0x7fffffffu) > 0x7f800000u;
    const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    out[i] = static_cast<uint16_t>(nan ? (bits >> 16) | 0x40u : rounded);
  }
}

// One symmetric scale a row: q = round(x / scale), scale = max|x| / 127.
__attribute__((target_clones("avx512f", "avx2", "default"))) float quantize_row(const float* x,
                                                                                int64_t n,
                                                                                int8_t* q) {
  float amax = 0;
#pragma omp simd reduction(max : amax)
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float scale = amax > 0 ? amax / 127.0f : 1.0f, inverse = 1.0f / scale;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    // |x * inverse| <= 127 up to rounding; nearbyint rounds half to even, as PyTorch does.
    const float v = std::min(127.0f, std::max(-127.0f, std::nearbyint(x[i] * inverse)));
    q[i] = static_cast<int8_t>(static_cast<int32_t>(v));
  }
  return scale;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void scale_back(
    const int32_t* sums, int64_t n, float row_scale, const float* weight_scales, const float* bias,
    bool accumulate, float* y) {
  if (accumulate) {
    for (int64_t i = 0; i < n; ++i)
      y[i] += static_cast<float>(sums[i]) * (row_scale * weight_scales[i]) + bias[i];
  } else {
    for (int64_t i = 0; i < n; ++i)
      y[i] = static_cast<float>(sums[i]) * (row_scale * weight_scales[i]) + bias[i];
  }
}

}  // namespace

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

Linear::Linear(const float* weight, const float* bias, int64_t out, int64_t in, Precision precision,
               Epilogue epilogue)
    : out_(out),
      in_(in),
      precision_(precision),
      epilogue_(epilogue),
      engine_(cpu_engine()),
      stream_(engine_),
      bias_(bias, bias + out) {
  const size_t size = static_cast<size_t>(out * in);
  // The weights as PyTorch stores them (out x in, row-major) are oneDNN's in x out with tag ba.
  switch (precision) {
    case Precision::fp32:
      weights_f32_.assign(weight, weight + size);
      plain_weights_ = dnnl::memory({{in, out}, dt::f32, tag::ba}, engine_, weights_f32_.data());
      break;
    case Precision::bf16:
      weights_bf16_.resize(size);
      to_bf16(weight, size, weights_bf16_.data());
      plain_weights_ = dnnl::memory({{in, out}, dt::bf16, tag::ba}, engine_, weights_bf16_.data());
      break;
    case Precision::int8:
      weights_s8_.resize(size);
      weight_scales_.resize(static_cast<size_t>(out));
      for (int64_t o = 0; o < out; ++o)
        weight_scales_[o] = quantize_row(weight + o * in, in, weights_s8_.data() + o * in);
      plain_weights_ = dnnl::memory({{in, out}, dt::s8, tag::ba}, engine_, weights_s8_.data());
      break;
  }
}

const dnnl::memory& Linear::weights_for(const dnnl::memory::desc& desc) {
  for (const auto& [layout, memory] : weights_)
    if (layout == desc) return memory;
  dnnl::memory reordered(desc, engine_);
  dnnl::reorder(plain_weights_, reordered).execute(stream_, plain_weights_, reordered);
  stream_.wait();
  weights_.emplace_back(desc, reordered);
  return weights_.back().second;
}

Linear::Kernel& Linear::kernel(int64_t rows) {
  auto found = kernels_.find(rows);
  if (found != kernels_.end()) return found->second;
  const bool int8 = precision_ == Precision::int8;
  const dt input = int8 ? dt::s8 : precision_ == Precision::bf16 ? dt::bf16 : dt::f32;
  const dnnl::memory::desc src({rows, in_}, input, tag::ab), weights({in_, out_}, input, tag::any),
      dst({rows, out_}, int8 ? dt::s32 : dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  dnnl::post_ops post;
  Kernel k;
  if (int8) {
    // Per-row activation scales are applied after the GEMM (oneDNN 2.6 scales only per column).
    if (epilogue_ == Epilogue::gelu) {
      const dnnl::memory::desc y({rows, out_}, dt::f32, tag::ab);
      k.gelu = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(
          {dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_gelu_erf, y, 0.f, 0.f},
          engine_));
    }
  } else {
    if (epilogue_ == Epilogue::gelu)
      post.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f);
    if (epilogue_ == Epilogue::residual) post.append_sum(1.f);
  }
  attr.set_post_ops(post);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::memory::desc bias =
      int8 ? dnnl::memory::desc() : dnnl::memory::desc({1, out_}, dt::f32, tag::ab);
  const dnnl::matmul::primitive_desc pd({src, weights, bias, dst}, attr, engine_);
  k.matmul = dnnl::matmul(pd);
  k.weights_desc = pd.weights_desc();
  k.scratchpad_desc = pd.scratchpad_desc();
  weights_for(k.weights_desc);
  return kernels_.emplace(rows, std::move(k)).first->second;
}

dnnl::memory Linear::scratchpad(const Kernel& k) {
  const size_t size = k.scratchpad_desc.get_size();
  if (scratchpad_.size() < size) scratchpad_.resize(size);
  return dnnl::memory(k.scratchpad_desc, engine_, scratchpad_.data());
}

void Linear::forward(const float* x, int64_t rows, float* y) {
  if (rows == 0) return;
  Kernel& k = kernel(rows);
  if (precision_ == Precision::int8) return forward_int8(x, rows, y, k);
  const dnnl::memory::desc y_desc({rows, out_}, dt::f32, tag::ab);
  dnnl::memory src;
  if (precision_ == Precision::bf16) {
    x_bf16_.resize(static_cast<size_t>(rows * in_));
#pragma omp parallel for
    for (int64_t r = 0; r < rows; ++r)
      to_bf16(x + r * in_, static_cast<size_t>(in_), x_bf16_.data() + r * in_);
    src = dnnl::memory({{rows, in_}, dt::bf16, tag::ab}, engine_, x_bf16_.data());
  } else {
    src = dnnl::memory({{rows, in_}, dt::f32, tag::ab}, engine_, const_cast<float*>(x));
  }
  dnnl::memory dst(y_desc, engine_, y);
  dnnl::memory bias({{1, out_}, dt::f32, tag::ab}, engine_, bias_.data());
  k.matmul.execute(stream_, {{DNNL_ARG_SRC, src},
                             {DNNL_ARG_WEIGHTS, weights_for(k.weights_desc)},
                             {DNNL_ARG_BIAS, bias},
                             {DNNL_ARG_DST, dst},
                             {DNNL_ARG_SCRATCHPAD, scratchpad(k)}});
  stream_.wait();
}

void Linear::forward_int8(const float* x, int64_t rows, float* y, Kernel& k) {
  x_s8_.resize(static_cast<size_t>(rows * in_));
  row_scales_.resize(static_cast<size_t>(rows));
  sums_.resize(static_cast<size_t>(rows * out_));
#pragma omp parallel for
  for (int64_t r = 0; r < rows; ++r)
    row_scales_[r] = quantize_row(x + r * in_, in_, x_s8_.data() + r * in_);
  dnnl::memory src({{rows, in_}, dt::s8, tag::ab}, engine_, x_s8_.data());
  dnnl::memory sums({{rows, out_}, dt::s32, tag::ab}, engine_, sums_.data());
  k.matmul.execute(stream_, {{DNNL_ARG_SRC, src},
                             {DNNL_ARG_WEIGHTS, weights_for(k.weights_desc)},
                             {DNNL_ARG_DST, sums},
                             {DNNL_ARG_SCRATCHPAD, scratchpad(k)}});
  stream_.wait();
  const bool accumulate = epilogue_ == Epilogue::residual;
#pragma omp parallel for
  for (int64_t r = 0; r < rows; ++r)
    scale_back(sums_.data() + r * out_, out_, row_scales_[r], weight_scales_.data(), bias_.data(),
               accumulate, y + r * out_);
  if (epilogue_ == Epilogue::gelu) {
    dnnl::memory out({{rows, out_}, dt::f32, tag::ab}, engine_, y);
    k.gelu.execute(stream_, {{DNNL_ARG_SRC, out}, {DNNL_ARG_DST, out}});
    stream_.wait();
  }
}

}  // namespace b2b::cpu
