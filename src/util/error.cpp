#include "util/error.h"

#include <iostream>

namespace b2b {

void fail_file(const std::string& path, const std::string& problem) {
  throw Error(path + ": " + problem);
}

void fail_line(const std::string& path, size_t line, const std::string& problem) {
  throw Error(path + ":" + std::to_string(line) + ": " + problem);
}

void warn(const std::string& message) { std::cerr << "warning: " << message << "\n"; }

void note(const std::string& message) { std::cerr << message << "\n"; }

}  // namespace b2b
