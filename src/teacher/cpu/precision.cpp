#include "teacher/cpu/precision.h"

#include <oneapi/dnnl/dnnl.hpp>

#include "util/error.h"

namespace b2b {

namespace {

// oneDNN's ISA values are bit sets, each one a superset of those it extends.
bool has(dnnl::cpu_isa isa, dnnl::cpu_isa feature) {
  const auto bits = static_cast<unsigned>(isa), want = static_cast<unsigned>(feature);
  return (bits & want) == want;
}

}  // namespace

Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::fp32;
  if (text == "bf16") return Precision::bf16;
  if (text == "int8") return Precision::int8;
  throw Error("precision '" + text + "': expected fp32, bf16 or int8");
}

const char* precision_name(Precision precision) {
  switch (precision) {
    case Precision::bf16:
      return "bf16";
    case Precision::int8:
      return "int8";
    case Precision::fp32:
      break;
  }
  return "fp32";
}

std::string cpu_isa_name() {
  using dnnl::cpu_isa;
  const cpu_isa isa = dnnl::get_effective_cpu_isa();
  // Most capable first: the first one the CPU has is its name.
  const std::pair<cpu_isa, const char*> names[] = {{cpu_isa::avx512_core_amx, "avx512_core_amx"},
                                                   {cpu_isa::avx512_core_bf16, "avx512_core_bf16"},
                                                   {cpu_isa::avx512_core_vnni, "avx512_core_vnni"},
                                                   {cpu_isa::avx512_core, "avx512_core"},
                                                   {cpu_isa::avx2_vnni, "avx2_vnni"},
                                                   {cpu_isa::avx2, "avx2"},
                                                   {cpu_isa::avx, "avx"},
                                                   {cpu_isa::sse41, "sse41"}};
  for (const auto& [value, name] : names) {
    if (has(isa, value)) return name;
  }
  return "none";
}

Precision runnable_precision(Precision wanted, std::string* why) {
  using dnnl::cpu_isa;
  const cpu_isa isa = dnnl::get_effective_cpu_isa();
  const std::string here = " (oneDNN's instruction set here: " + cpu_isa_name() +
                           ", which ONEDNN_MAX_CPU_ISA may cap); computing in fp32";
  if (wanted == Precision::bf16 && !has(isa, cpu_isa::avx512_core_bf16)) {
    if (why) *why = "--precision bf16: this CPU has neither AVX512_BF16 nor AMX" + here;
    return Precision::fp32;
  }
  // Without VNNI, oneDNN's int8 GEMMs sum pairs of u8*s8 products in int16, which saturates.
  if (wanted == Precision::int8 && !has(isa, cpu_isa::avx512_core_vnni) &&
      !has(isa, cpu_isa::avx2_vnni)) {
    if (why) *why = "--precision int8: this CPU has no VNNI (AVX512_VNNI or AVX-VNNI)" + here;
    return Precision::fp32;
  }
  if (why) why->clear();
  return wanted;
}

}  // namespace b2b
