#include <cstdio>
#include <thread>

#include "augment/transfer_set.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace b2b::cli {

namespace {

struct Flags {
  TaskFlags task;
  std::string input, output, pos_model;
  int n_iter = -1, threads = 0;
  AugmentOptions options;
};

void run(Flags f) {
  const TaskSpec task = f.task.parse();
  f.options.n_iter = f.n_iter >= 0 ? f.n_iter : default_n_iter(task);
  const PosTagger tagger = PosTagger::load(f.pos_model);
  AugmentRunOptions run_options{
      f.options, f.threads > 0 ? f.threads : static_cast<int>(std::thread::hardware_concurrency()),
      f.task.file_format()};
  const AugmentSummary s = augment_file(tagger, task, f.input, f.output, run_options);
  std::fprintf(stderr,
               "augment: %zu originals + %zu augmented rows (n_iter %d) -> %s; tagging %.1f s "
               "(%.0f words/s), "
               "augmenting %.2f s (%.0f sentences/s), writing %.1f s\n",
               s.originals, s.augmented, f.options.n_iter, f.output.c_str(), s.tag_seconds,
               s.words / s.tag_seconds, s.augment_seconds,
               s.augmented / std::max(s.augment_seconds, 1e-9), s.write_seconds);
}

}  // namespace

void add_augment_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "augment", "Build the transfer set: originals, then masked/POS-replaced/n-gram samples");
  add_task_flags(cmd, flags->task);
  add_format_flag(cmd, flags->task);
  cmd->add_option("--input", flags->input, "the task's training file (as --format says)")
      ->required();
  cmd->add_option("--output", flags->output, "transfer set to write (text columns and label)")
      ->required();
  cmd->add_option("--pos-model", flags->pos_model, "POS model from 'pos train'")->required();
  cmd->add_option("--n-iter", flags->n_iter,
                  "samples per example (default: 20 single-sentence, 10 pairs)");
  cmd->add_option("--p-mask", flags->options.p_mask)->capture_default_str();
  cmd->add_option("--p-pos", flags->options.p_pos)->capture_default_str();
  cmd->add_option("--p-ng", flags->options.p_ng)->capture_default_str();
  cmd->add_option("--seed", flags->options.seed)->capture_default_str();
  cmd->add_option("--threads", flags->threads, "worker threads (default: all cores)")
      ->check(positive_integer());
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
