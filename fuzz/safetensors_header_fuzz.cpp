// libFuzzer target for the safetensors header parser: any byte string must either parse into
// entries that lie inside the file or raise b2b::Error; never crash, hang or read out of bounds.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "io/safetensors_header.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  try {
    const b2b::SafetensorsHeader header = b2b::parse_safetensors(file, "fuzz");
    for (const auto& [name, entry] : header.tensors) {
      if (header.data_offset + entry.end > size || entry.begin > entry.end) std::abort();
    }
  } catch (const b2b::Error&) {
  }
  return 0;
}
