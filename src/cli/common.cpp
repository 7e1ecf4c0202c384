#include "cli/common.h"

namespace b2b::cli {

void add_task_flags(CLI::App* app, TaskFlags& flags, bool required) {
  auto* option =
      app->add_option("--task", flags.task,
                      "sst2, mnli, qqp, or tsv:text_a=COL[,text_b=COL],label=COL[,labels=A|B]");
  if (required) option->required();
  app->add_option("--quoting", flags.quoting, "none (GLUE) or csv (\"\" quoted fields)")
      ->capture_default_str();
}

void add_format_flag(CLI::App* app, TaskFlags& flags) {
  app->add_option("--format", flags.format,
                  "how the task files given here are written: tsv (TAB-separated, a header line; "
                  "--quoting applies), csv (RFC 4180: comma-separated, \"\" quoting, a header "
                  "line) or jsonl (JSON Lines: an object a line, its keys the columns); chosen "
                  "here, never by the file name")
      ->check(CLI::IsMember({"tsv", "csv", "jsonl"}))
      ->capture_default_str();
}

void add_threads_flag(CLI::App* app, int& threads) {
  // Given, it must be a count: 0 used to mean "all cores" without a word, like leaving it out.
  app->add_option("--threads", threads, "CPU threads (default: all cores)")
      ->check(positive_integer());
}

void add_precision_flag(CLI::App* app, std::string& precision) {
  app->add_option("--precision", precision,
                  "the teacher's arithmetic on CPU: fp32, bf16 (AVX512_BF16 or AMX) or int8 "
                  "(VNNI); default fp32; fp32 where the CPU lacks the instructions, said in one "
                  "line")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));
}

CLI::Validator positive_integer() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        size_t used = 0;
        try {
          if (std::stoll(value, &used) > 0 && used == value.size()) return "";
        } catch (const std::exception&) {
        }
        return "expected a positive integer, got " + value;
      },
      "POSITIVE");
}

}  // namespace b2b::cli
