#include "io/safetensors.h"

#include <cstring>

#include "util/error.h"

namespace b2b {

namespace {

torch::Dtype torch_dtype(const std::string& dtype, const std::string& path) {
  if (dtype == "F32") return torch::kFloat32;
  if (dtype == "F16") return torch::kFloat16;
  if (dtype == "BF16") return torch::kBFloat16;
  if (dtype == "F64") return torch::kFloat64;
  if (dtype == "I64") return torch::kInt64;
  if (dtype == "I32") return torch::kInt32;
  if (dtype == "I16") return torch::kInt16;
  if (dtype == "I8") return torch::kInt8;
  if (dtype == "U8") return torch::kUInt8;
  if (dtype == "BOOL") return torch::kBool;
  fail_file(path, "unsupported dtype " + dtype);
}

std::string safetensors_dtype(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kFloat32:
      return "F32";
    case torch::kFloat16:
      return "F16";
    case torch::kBFloat16:
      return "BF16";
    case torch::kFloat64:
      return "F64";
    case torch::kInt64:
      return "I64";
    case torch::kInt32:
      return "I32";
    case torch::kInt16:
      return "I16";
    case torch::kInt8:
      return "I8";
    case torch::kUInt8:
      return "U8";
    case torch::kBool:
      return "BOOL";
    default:
      throw Error("cannot save tensors of dtype " + std::string(c10::toString(dtype)));
  }
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::string path) : reader_(std::move(path)) {}

torch::Tensor SafetensorsFile::get(const std::string& name) const {
  const TensorEntry& entry = reader_.entry(name);
  auto tensor = torch::empty(
      entry.shape, torch::TensorOptions().dtype(torch_dtype(entry.dtype, reader_.path())));
  // The format is little-endian, as is every machine libtorch runs on here.
  const std::string_view bytes = reader_.bytes(name);
  std::memcpy(tensor.data_ptr(), bytes.data(), bytes.size());
  return tensor;
}

torch::Tensor SafetensorsFile::get_float(const std::string& name,
                                         std::vector<int64_t> expected) const {
  torch::Tensor tensor = get(name);
  if (!expected.empty() && tensor.sizes().vec() != expected) {
    fail_file(path(), "tensor '" + name + "' has shape " + shape_string(tensor.sizes().vec()) +
                          ", expected " + shape_string(expected));
  }
  if (!tensor.is_floating_point()) fail_file(path(), "tensor '" + name + "' is not floating point");
  return tensor.to(torch::kFloat32);
}

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<torch::Tensor> contiguous;
  std::vector<TensorBytes> raw;
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    raw.push_back(
        {name, safetensors_dtype(t.scalar_type()), t.sizes().vec(),
         std::string_view(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size())});
    contiguous.push_back(std::move(t));
  }
  write_safetensors(path, raw, metadata);
}

}  // namespace b2b
