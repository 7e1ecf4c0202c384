#pragma once
// The arithmetic the teacher's CPU forward pass runs in (`--precision fp32|bf16|int8`), and
// what this CPU can run of it.
//
//   fp32  float32 throughout (oneDNN's JIT GEMMs, the same math as transformers).
//   bf16  the encoder's Linear layers take bfloat16 inputs and weights and accumulate in
//         float32; needs AVX512_BF16 or AMX.
//   int8  the encoder's Linear layers take int8 weights (one scale per output channel, set
//         at load, no calibration data) and int8 activations (one scale per token row, set
//         per batch), accumulating in int32; needs VNNI (AVX512_VNNI or AVX-VNNI).
// Embeddings, LayerNorm, attention (QK^T, softmax, PV), pooler and classifier stay float32
// at every precision. A CPU without the instructions runs fp32 and says so in one line.
#include <string>

namespace b2b {

enum class Precision { fp32, bf16, int8 };

// "fp32", "bf16" or "int8"; throws Error naming the value otherwise.
Precision parse_precision(const std::string& text);
const char* precision_name(Precision precision);

// The precision this CPU runs when `wanted` is asked for: `wanted`, or fp32 with `why` set
// to one line naming the missing instructions and oneDNN's instruction set here (which
// ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA may cap).
Precision runnable_precision(Precision wanted, std::string* why);

// oneDNN's instruction set on this machine, as its verbose output names it ("avx512_core_bf16").
std::string cpu_isa_name();

}  // namespace b2b
