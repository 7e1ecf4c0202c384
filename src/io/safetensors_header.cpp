#include "io/safetensors_header.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace b2b {

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

size_t dtype_size(std::string_view dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

namespace {

TensorEntry parse_entry(const std::string& name, const nlohmann::json& value, uint64_t data_size,
                        const std::string& path) {
  auto bad = [&](const std::string& why) { fail_file(path, "tensor '" + name + "': " + why); };
  if (!value.is_object()) bad("header entry is not an object");
  TensorEntry entry;
  const auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) bad("missing dtype");
  entry.dtype = dtype->get<std::string>();
  if (dtype_size(entry.dtype) == 0) bad("unsupported dtype " + entry.dtype);

  const auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) bad("missing shape");
  uint64_t numel = 1;
  for (const auto& d : *shape) {
    if (!d.is_number_unsigned()) bad("shape holds a non-integer");
    const uint64_t dim = d.get<uint64_t>();
    if (dim > 0 && numel > std::numeric_limits<uint64_t>::max() / 16 / dim) bad("shape overflows");
    numel *= dim;
    entry.shape.push_back(static_cast<int64_t>(dim));
  }

  const auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
    bad("data_offsets must be two non-negative integers");
  }
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.begin > entry.end) bad("data_offsets are reversed");
  if (entry.end > data_size) {
    bad("data_offsets end at byte " + std::to_string(entry.end) + " but the data section has " +
        std::to_string(data_size) + " bytes (truncated file?)");
  }
  if (entry.end - entry.begin != numel * dtype_size(entry.dtype)) {
    bad("data_offsets span " + std::to_string(entry.end - entry.begin) +
        " bytes but the shape needs " + std::to_string(numel * dtype_size(entry.dtype)));
  }
  return entry;
}

}  // namespace

SafetensorsHeader parse_safetensors(std::string_view file, const std::string& path) {
  if (file.size() < 8) fail_file(path, "too short for a safetensors file (truncated?)");
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<uint8_t>(file[i]);
  if (header_size > file.size() - 8) {
    fail_file(path, "header length " + std::to_string(header_size) + " exceeds the file size " +
                        std::to_string(file.size()) + " (truncated?)");
  }
  nlohmann::json header =
      nlohmann::json::parse(file.substr(8, header_size), nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    fail_file(path, "safetensors header is not a JSON object");
  }
  SafetensorsHeader result;
  result.data_offset = 8 + header_size;
  const uint64_t data_size = file.size() - result.data_offset;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail_file(path, "__metadata__ is not an object");
      for (const auto& [key, v] : value.items()) {
        if (!v.is_string()) fail_file(path, "__metadata__ value '" + key + "' is not a string");
        result.metadata[key] = v.get<std::string>();
      }
      continue;
    }
    result.tensors[name] = parse_entry(name, value, data_size, path);
  }
  return result;
}

}  // namespace b2b
