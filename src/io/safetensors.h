#pragma once
// Reading and writing safetensors files as libtorch tensors, through io/safetensors_bytes.h,
// which owns the format.
#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/safetensors_bytes.h"

namespace b2b {

class SafetensorsFile {
 public:
  // Reads the whole file and checks its header; throws Error naming `path`.
  explicit SafetensorsFile(std::string path);

  const std::string& path() const { return reader_.path(); }
  bool contains(const std::string& name) const { return reader_.contains(name); }
  const std::map<std::string, TensorEntry>& entries() const { return reader_.header().tensors; }
  const std::map<std::string, std::string>& metadata() const { return reader_.header().metadata; }

  // The tensor as stored (a copy); F16 and BF16 keep their dtype.
  torch::Tensor get(const std::string& name) const;
  // Floating tensors promoted to float32; checks the shape when `expected` is not empty.
  torch::Tensor get_float(const std::string& name, std::vector<int64_t> expected = {}) const;

 private:
  SafetensorsReader reader_;
};

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Writes tensors (contiguous, little-endian, as their dtype) atomically.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace b2b
