#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/split.h"

namespace b2b::cli {

void add_split_command(CLI::App& app) {
  struct Flags {
    TaskFlags task;
    std::string input, out;
    SplitOptions options;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("split", "Cut a labeled file into stratified train/dev/test files");
  add_task_flags(cmd, flags->task);
  add_format_flag(cmd, flags->task);
  cmd->add_option("--input", flags->input, "labeled task file (as --format says)")->required();
  cmd->add_option("--out", flags->out,
                  "directory for train, dev and test files in the input's format, its records "
                  "unchanged: train.tsv, dev.tsv, test.tsv (train.csv ... with --format csv, "
                  "train.jsonl ... with jsonl)")
      ->required();
  cmd->add_option("--dev-ratio", flags->options.dev_ratio)->capture_default_str();
  cmd->add_option("--test-ratio", flags->options.test_ratio)->capture_default_str();
  cmd->add_option("--seed", flags->options.seed)->capture_default_str();
  cmd->final_callback([flags] {
    const TaskSpec task = flags->task.parse();
    flags->options.format = flags->task.file_format();
    const SplitCounts counts = split_dataset(flags->input, task, flags->out, flags->options);
    std::cout << "train " << counts.train << ", dev " << counts.dev << ", test " << counts.test
              << " rows written to " << flags->out << " (" << counts.skipped
              << " unlabeled or malformed rows skipped)\n";
  });
}

}  // namespace b2b::cli
