// The helpers of test_util.h, shared by both test programs.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "test_util.h"

namespace b2b::test {

std::string shared(const std::string& relative) {
  const std::string path = std::string(B2B_SHARED_DIR) + "/" + relative;
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "missing " << path << ": the tests need ../shared beside the checkout";
  }
  return path;
}

TempDir::TempDir() {
  std::random_device device;
  root_ = std::filesystem::temp_directory_path() / ("b2b-test-" + std::to_string(device()));
  std::filesystem::create_directories(root_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string p = path(name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}
}  // namespace

CommandResult run_cli(const std::string& args, const std::string& input) {
  TempDir dir;
  const std::string in = dir.write("stdin", input);
  const std::string command = std::string(B2B_BINARY) + " " + args + " < " + in + " > " +
                              dir.path("stdout") + " 2> " + dir.path("stderr");
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = slurp(dir.path("stdout"));
  result.err = slurp(dir.path("stderr"));
  return result;
}

}  // namespace b2b::test
