#include "io/safetensors.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/atomic_file.h"
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

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  bytes_ = read_file(path_);
  header_ = parse_safetensors(bytes_, path_);
}

torch::Tensor SafetensorsFile::get(const std::string& name) const {
  const auto it = header_.tensors.find(name);
  if (it == header_.tensors.end()) fail_file(path_, "missing tensor '" + name + "'");
  const TensorEntry& entry = it->second;
  auto tensor =
      torch::empty(entry.shape, torch::TensorOptions().dtype(torch_dtype(entry.dtype, path_)));
  // The format is little-endian, as is every machine libtorch runs on here.
  std::memcpy(tensor.data_ptr(), bytes_.data() + header_.data_offset + entry.begin,
              entry.end - entry.begin);
  return tensor;
}

torch::Tensor SafetensorsFile::get_float(const std::string& name,
                                         std::vector<int64_t> expected) const {
  torch::Tensor tensor = get(name);
  if (!expected.empty() && tensor.sizes().vec() != expected) {
    fail_file(path_, "tensor '" + name + "' has shape " + shape_string(tensor.sizes().vec()) +
                         ", expected " + shape_string(expected));
  }
  if (!tensor.is_floating_point()) fail_file(path_, "tensor '" + name + "' is not floating point");
  return tensor.to(torch::kFloat32);
}

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = t.numel() * t.element_size();
    header[name] = {{"dtype", safetensors_dtype(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(t);
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // keep the data section 8-byte aligned
  AtomicFile file(path);
  uint64_t size = json.size();
  char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  file.stream().write(prefix, 8);
  file.stream() << json;
  for (const auto& t : contiguous) {
    file.stream().write(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  }
  file.commit();
}

}  // namespace b2b
