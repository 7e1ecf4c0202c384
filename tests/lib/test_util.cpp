#include "test_util.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {
namespace {

TEST(Utf8, AcceptsWellFormedAndRejectsMalformed) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("bad \xff byte"));
  EXPECT_FALSE(is_valid_utf8("truncated \xe4\xb8"));
  EXPECT_FALSE(is_valid_utf8("overlong \xc0\xaf"));
  EXPECT_FALSE(is_valid_utf8("surrogate \xed\xa0\x80"));
}

TEST(AtomicFile, OnlyAppearsWhenCommitted) {
  test::TempDir dir;
  const std::string path = dir.path("out.txt");
  {
    AtomicFile file(path);
    file.stream() << "partial";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path("")));
  {
    AtomicFile file(path);
    file.stream() << "complete";
    file.commit();
  }
  EXPECT_EQ(read_file(path), "complete");
}

TEST(AtomicDirectory, ReplacesTheOldDirectoryWhole) {
  test::TempDir dir;
  const std::string path = dir.path("model");
  {
    AtomicDirectory out(path);
    write_file_atomic(out.staged("a"), "1");
    out.commit();
  }
  {
    AtomicDirectory out(path);
    write_file_atomic(out.staged("b"), "2");
  }  // not committed: the first version stays
  EXPECT_EQ(read_file(path + "/a"), "1");
  EXPECT_FALSE(std::filesystem::exists(path + "/b"));
}

TEST(ReadFile, NamesTheMissingFile) {
  try {
    read_file("/nonexistent/file.tsv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/file.tsv: no such file");
  }
}

}  // namespace
}  // namespace b2b
