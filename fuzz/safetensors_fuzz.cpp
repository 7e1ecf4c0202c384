// The whole safetensors loader: header and tensor bytes, every dtype, through the reader the
// student runtime and the libtorch side both use. Tensors that read must have their size.
#include "fuzz_util.h"
#include "io/safetensors_bytes.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = b2b::fuzz::input_file(b2b::fuzz::as_view(data, size));
  try {
    const b2b::SafetensorsReader reader(path);
    for (const auto& [name, entry] : reader.header().tensors) {
      const std::string_view bytes = reader.bytes(name);
      if (bytes.size() != entry.end - entry.begin) __builtin_trap();
      try {
        const std::vector<float> values = reader.floats(name, {});
        int64_t count = 1;
        for (int64_t d : entry.shape) count *= d;
        if (static_cast<int64_t>(values.size()) != count) __builtin_trap();
      } catch (const b2b::Error&) {  // not a float dtype
      }
    }
  } catch (const b2b::Error&) {
  }
  return 0;
}
