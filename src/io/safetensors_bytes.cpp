#include "io/safetensors_bytes.h"

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

namespace {

float from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// IEEE half precision to single, subnormals, infinities and NaN included.
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) return from_bits(sign | 0x7f800000 | (mantissa << 13));
  if (exponent != 0) return from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0) return from_bits(sign);
  int shift = 0;  // subnormal: normalize
  while ((mantissa & 0x400) == 0) mantissa <<= 1, ++shift;
  return from_bits(sign | ((113 - shift) << 23) | ((mantissa & 0x3ff) << 13));
}

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

SafetensorsReader::SafetensorsReader(std::string path) : path_(std::move(path)) {
  file_ = read_file(path_);
  header_ = parse_safetensors(file_, path_);
}

const TensorEntry& SafetensorsReader::entry(const std::string& name) const {
  const auto it = header_.tensors.find(name);
  if (it == header_.tensors.end()) fail_file(path_, "missing tensor '" + name + "'");
  return it->second;
}

std::string_view SafetensorsReader::bytes(const std::string& name) const {
  const TensorEntry& e = entry(name);
  return std::string_view(file_).substr(header_.data_offset + e.begin, e.end - e.begin);
}

std::vector<float> SafetensorsReader::floats(const std::string& name,
                                             const std::vector<int64_t>& expected) const {
  const TensorEntry& e = entry(name);
  if (!expected.empty() && e.shape != expected) {
    fail_file(path_, "tensor '" + name + "' has shape " + shape_string(e.shape) + ", expected " +
                         shape_string(expected));
  }
  const std::string_view raw = bytes(name);
  std::vector<float> out(static_cast<size_t>(e.numel()));
  // The format is little-endian, as is every machine this runs on.
  if (e.dtype == "F32") {
    if (!raw.empty()) std::memcpy(out.data(), raw.data(), raw.size());
  } else if (e.dtype == "F16" || e.dtype == "BF16") {
    const bool bf16 = e.dtype == "BF16";
    for (size_t i = 0; i < out.size(); ++i) {
      uint16_t bits;
      std::memcpy(&bits, raw.data() + 2 * i, 2);
      out[i] = bf16 ? from_bits(static_cast<uint32_t>(bits) << 16) : half_to_float(bits);
    }
  } else {
    fail_file(path_, "tensor '" + name + "' is " + e.dtype + ", not F32, F16 or BF16");
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorBytes& t : tensors) {
    header[t.name] = {{"dtype", t.dtype},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // keep the data section 8-byte aligned
  AtomicFile file(path);
  const uint64_t size = json.size();
  char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  file.stream().write(prefix, 8);
  file.stream() << json;
  for (const TensorBytes& t : tensors)
    file.stream().write(t.bytes.data(), static_cast<std::streamsize>(t.bytes.size()));
  file.commit();
}

}  // namespace b2b
