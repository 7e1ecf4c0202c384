#pragma once
// CliTest: one small SST-2 student trained once for the whole suite (its tests run as one
// process, see tests/CMakeLists.txt), shared by the command-line and deployment tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {

using test::run_cli;
using test::shared;

// The first n data rows of SST-2 train, with the header.
inline std::string sst2_head(size_t n) {
  std::istringstream in(read_file(shared("data/glue/SST-2/train.tsv")));
  std::string line, out;
  for (size_t i = 0; i <= n && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

inline size_t count_lines(const std::string& text) {
  return std::count(text.begin(), text.end(), '\n');
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const std::string train = dir_->write("train.tsv", sst2_head(10000));
    const auto result =
        run_cli("student train --task sst2 --train " + train + " --dev " +
                shared("data/glue/SST-2/dev.tsv") + " --out " + dir_->path("student") +
                " --epochs 8 --patience 0 --hidden 64 --fc 64 --embedding-dim 64 --threads 2");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    train_output_ = result.out;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return dir_->path("student"); }

  // Expects a failure with one "error: ..." line on stderr that mentions `needle`.
  static void expect_clean_error(const test::CommandResult& result, const std::string& needle) {
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(result.err.rfind("error: ", 0), 0u) << result.err;
    EXPECT_EQ(count_lines(result.err), 1u) << result.err;
    EXPECT_NE(result.err.find(needle), std::string::npos) << result.err;
  }

  static test::TempDir* dir_;
  static std::string train_output_;
};

}  // namespace b2b
