#pragma once
// The safetensors format without any tensor library: reading (the whole file in memory, its
// header checked, tensors handed out as raw bytes or float32 arrays) and writing. The libtorch
// side (io/safetensors.h) and the student runtime both go through it.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "io/safetensors_header.h"

namespace b2b {

class SafetensorsReader {
 public:
  // Reads the whole file and checks its header; throws Error naming `path`.
  explicit SafetensorsReader(std::string path);

  const std::string& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  bool contains(const std::string& name) const { return header_.tensors.count(name) > 0; }

  // The entry of `name`; throws Error naming the file when it is missing.
  const TensorEntry& entry(const std::string& name) const;
  // The stored bytes of `name` (little-endian, as the format says).
  std::string_view bytes(const std::string& name) const;
  // F32, F16 or BF16 as float32; checks the shape when `expected` is not empty.
  std::vector<float> floats(const std::string& name, const std::vector<int64_t>& expected) const;

 private:
  std::string path_;
  std::string file_;
  SafetensorsHeader header_;
};

// A tensor to write: its dtype ("F32", ...), shape, and little-endian bytes.
struct TensorBytes {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::string_view bytes;
};

// Writes the tensors in order, atomically, with the data section 8-byte aligned.
void write_safetensors(const std::string& path, const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// "[2, 3]"
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace b2b
