#pragma once
// Helpers for tests: paths to ../shared and the CLI binary, temporary directories,
// running the CLI and capturing its output.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "util/error.h"

namespace b2b::test {

// ../shared beside the checkout; a test that needs it fails loudly when it is missing.
std::string shared(const std::string& relative);

// A fresh directory removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string path(const std::string& name) const { return (root_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path root_;
};

struct CommandResult {
  int exit_code = 0;
  std::string out, err;
};

// Runs `bert2bilstm <args>` through the shell, with `input` on stdin.
CommandResult run_cli(const std::string& args, const std::string& input = "");

// The message of the b2b::Error that f() throws ("" when none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace b2b::test
