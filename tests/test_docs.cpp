// The command lines in README.md and docs/*.md name subcommands and flags that exist: each
// `bert2bilstm SUBCOMMAND ... --flag` of a code block is checked against that subcommand's
// --help. tests/docs/run_blocks.py (ctest DocsBlocks) runs the fenced sh and python blocks.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

namespace fs = std::filesystem;

struct CommandLine {
  std::string file;
  size_t line;
  std::string text;
};

// The lines of indented (4 spaces) and fenced shell blocks, continuation lines joined.
std::vector<CommandLine> command_lines(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<CommandLine> out;
  std::string line, pending;
  size_t number = 0, start = 0;
  bool fenced = false, shell_fence = false;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("```", 0) == 0) {
      shell_fence = !fenced && (line == "```" || line == "```sh" || line == "```bash");
      fenced = !fenced;
      continue;
    }
    const bool code = fenced ? shell_fence : line.rfind("    ", 0) == 0;
    if (!code) continue;
    const std::string text = fenced ? line : line.substr(4);
    if (pending.empty()) start = number;
    pending += text;
    if (!pending.empty() && pending.back() == '\\') {
      pending.pop_back();
      pending += ' ';
      continue;
    }
    out.push_back({path, start, pending});
    pending.clear();
  }
  return out;
}

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text.substr(0, text.find(" #")));  // drop a trailing comment
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

const std::string& help_of(const std::string& command) {
  static std::map<std::string, std::string> cache;
  auto found = cache.find(command);
  if (found == cache.end()) {
    const auto result = test::run_cli(command + " --help");
    found = cache.emplace(command, result.exit_code == 0 ? result.out : "").first;
  }
  return found->second;
}

bool names_flag(const std::string& help, const std::string& flag) {
  const std::regex pattern("(^|[ ,])" + flag + "([ ,=\\n]|$)");
  return std::regex_search(help, pattern);
}

TEST(Docs, EveryCommandLineNamesRealSubcommandsAndFlags) {
  std::vector<std::string> files{std::string(B2B_SOURCE_DIR) + "/README.md"};
  for (const auto& entry : fs::directory_iterator(std::string(B2B_SOURCE_DIR) + "/docs"))
    if (entry.path().extension() == ".md") files.push_back(entry.path().string());
  size_t checked = 0;
  for (const auto& file : files) {
    for (const CommandLine& command : command_lines(file)) {
      const auto words = words_of(command.text);
      for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w != "bert2bilstm" && w != "build/bert2bilstm") continue;
        // The subcommand path: words while the help lists them as subcommands.
        std::string path;
        size_t j = i + 1;
        while (j < words.size() && words[j][0] != '-' &&
               help_of(path.empty() ? "" : path).find("\n  " + words[j] + " ") !=
                   std::string::npos) {
          path += (path.empty() ? "" : " ") + words[j];
          ++j;
        }
        const std::string where = command.file + ":" + std::to_string(command.line);
        if (path.empty()) {
          // Only `bert2bilstm --help` / `--version` go without a subcommand.
          EXPECT_TRUE(j < words.size() && words[j][0] == '-') << where << ": " << command.text;
          continue;
        }
        const std::string& help = help_of(path);
        ASSERT_FALSE(help.empty()) << where << ": `bert2bilstm " << path << " --help` failed";
        // Its flags, up to the next program on the line (a pipe, &&, ;).
        for (; j < words.size(); ++j) {
          std::string flag = words[j];
          if (flag == "|" || flag == "&&" || flag == ";" || flag == "&") break;
          flag.erase(0, flag.find_first_not_of("[("));
          if (flag.rfind("--", 0) != 0) continue;
          flag = flag.substr(0, flag.find_first_of("=]|)"));
          if (flag == "--" || flag == "--help") continue;
          EXPECT_TRUE(names_flag(help, flag))
              << where << ": `bert2bilstm " << path << "` has no " << flag;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100u);  // the docs hold that many flags: the scan found them
}

}  // namespace
}  // namespace b2b
