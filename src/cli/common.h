#pragma once
// Helpers shared by the subcommands: flags every command takes, and thread setup.
#include <CLI/CLI.hpp>
#include <string>

#include "data/task.h"
#include "io/records.h"

namespace b2b::cli {

struct TaskFlags {
  std::string task;
  std::string quoting = "none";
  std::string format = "tsv";  // of the task files a command reads (--format, where it has it)
  TaskSpec parse() const { return parse_task(task, parse_quoting(quoting)); }
  FileFormat file_format() const { return parse_file_format(format); }
};

void add_task_flags(CLI::App* app, TaskFlags& flags, bool required = true);
// --format tsv|csv|jsonl: how the task files given to this command are written (io/records.h).
void add_format_flag(CLI::App* app, TaskFlags& flags);
void add_threads_flag(CLI::App* app, int& threads);
// --precision fp32|bf16|int8, for commands that run the teacher (teacher/cpu/precision.h).
void add_precision_flag(CLI::App* app, std::string& precision);
// For sizes whose unset value 0 stands for a default: an explicit value must be above 0.
CLI::Validator positive_integer();
// Sets libtorch's intra-op threads (it starts with 1), and so BLAS's on this thread;
// threads <= 0 means all cores. Returns the number set.
int set_threads(int threads);

}  // namespace b2b::cli
