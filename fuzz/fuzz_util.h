#pragma once
// Helpers for the libFuzzer targets: the readers under test take paths, so each input is
// written to a file of this process first; a selector byte picks the variant to read.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace b2b::fuzz {

// A file of this process under $TMPDIR (or /tmp), rewritten for each input.
inline std::string input_file(std::string_view bytes, const std::string& name = "input") {
  const char* dir = std::getenv("TMPDIR");
  const std::string path =
      std::string(dir ? dir : "/tmp") + "/b2b-fuzz-" + std::to_string(::getpid()) + "-" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f) {
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  return path;
}

// The first byte (0 when empty) and the rest.
inline uint8_t take_selector(std::string_view& bytes) {
  if (bytes.empty()) return 0;
  const uint8_t first = static_cast<uint8_t>(bytes[0]);
  bytes.remove_prefix(1);
  return first;
}

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace b2b::fuzz
