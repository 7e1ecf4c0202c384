#pragma once
// The safetensors container without any tensor library: an 8-byte little-endian header
// length, a JSON header mapping names to {dtype, shape, data_offsets}, then raw bytes.
// Kept free of libtorch so the fuzz target and the checks stay small.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace b2b {

struct TensorEntry {
  std::string dtype;  // "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
  int64_t numel() const;
};

struct SafetensorsHeader {
  std::map<std::string, TensorEntry> tensors;
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;  // where the data section starts in the file
};

// Bytes per element of a safetensors dtype; 0 when unknown.
size_t dtype_size(std::string_view dtype);

// Parses and checks the header of a file held in `file` (the whole file). Every offset,
// size, dtype and shape is checked against the file size; throws Error naming `path`.
SafetensorsHeader parse_safetensors(std::string_view file, const std::string& path);

}  // namespace b2b
