#include "test_util.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "util/atomic_file.h"
#include "util/command_line.h"
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

// A recorded command line reads back as the words it was written from, as the shell itself splits
// it (the independent reference), and a line written unquoted joins to the same words.
TEST(CommandLine, QuotedWordsReadBackAsTheShellSplitsThem) {
  const std::vector<std::string> args = {
      "distill", "--teacher-trained-on", "SST-2 train (482 steps of 64), it's", "", "a\\b", "--out",
      "runs/x"};
  std::string line;
  for (const auto& a : args) line += (line.empty() ? "" : " ") + shell_quote(a);
  EXPECT_EQ(shell_split(line), args) << line;
  EXPECT_EQ(shell_quote("runs/plain-1"), "runs/plain-1");

  // The shell's own reading, a word a line (none of these words holds a newline).
  FILE* shell = popen(("printf '%s\\n' " + line).c_str(), "r");
  ASSERT_NE(shell, nullptr);
  std::string printed;
  for (int c; (c = std::fgetc(shell)) != EOF;) printed += static_cast<char>(c);
  EXPECT_EQ(pclose(shell), 0);
  std::string expected;
  for (const auto& a : args) expected += a + "\n";
  EXPECT_EQ(printed, expected) << line;

  // Written before quoting: more words, the same words once joined by spaces.
  const auto old = shell_split("--teacher-trained-on SST-2 train (482 steps)");
  EXPECT_EQ(old.size(), 5u);
  EXPECT_EQ(shell_split("--teacher-trained-on SST-2\\ train\\ \\(482\\ steps\\)").size(), 2u);
}

}  // namespace
}  // namespace b2b
