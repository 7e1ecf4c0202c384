// bert2bilstm: distill a fine-tuned BERT classifier into a BiLSTM. One program, one
// subcommand per pipeline stage (see README.md).
#include <c10/util/Exception.h>
#include <c10/util/signal_handler.h>

#include <cstdlib>
#include <string>

#include "cli/app.h"
#include "cli/commands.h"
#include "util/command_line.h"
#include "util/malloc_tuning.h"

namespace {
std::string describe(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e))
    return torch_error->what_without_backtrace();
  return e.what();
}
}  // namespace

int main(int argc, char** argv) {
  // The commands that train, label or score with tensors allocate them by the hundred each
  // step (malloc_tuning.h); the others keep glibc's defaults and start once, not twice.
  if (argc >= 2) {
    const std::string command = argv[1];
    for (const char* heavy : {"teacher", "student", "distill", "demo", "eval", "bench"})
      if (command == heavy) b2b::reexec_with_malloc_tuning(argv);
  }
#if defined(C10_SUPPORTS_FATAL_SIGNAL_HANDLERS)
  // B2B_CRASH_TRACES=1: a crash prints every thread's stack before the usual exit, for hosts
  // without a debugger (scripts/gpu_check.sh).
  if (const char* traces = std::getenv("B2B_CRASH_TRACES"); traces && traces == std::string("1"))
    c10::FatalSignalHandler::getInstance().setPrintStackTracesOnFatalSignal(true);
#endif
  CLI::App app{"bert2bilstm: distill a fine-tuned BERT classifier into a small BiLSTM",
               "bert2bilstm"};
  b2b::cli::configure_app(app);
  app.require_subcommand(1);
  b2b::cli::add_split_command(app);
  b2b::cli::add_student_command(app);
  b2b::cli::add_eval_command(app);
  b2b::cli::add_predict_command(app);
  b2b::cli::add_tokenize_command(app);
  b2b::cli::add_teacher_command(app);
  b2b::cli::add_pos_command(app);
  b2b::cli::add_augment_command(app);
  std::string command_line = "bert2bilstm";  // as a shell would take it back
  for (int i = 1; i < argc; ++i) command_line += " " + b2b::shell_quote(argv[i]);
  b2b::cli::add_distill_command(app, command_line);
  b2b::cli::add_demo_command(app, command_line);
  b2b::cli::add_bench_command(app);
  b2b::cli::add_report_command(app);
  b2b::cli::add_export_command(app);
#ifdef B2B_WITH_SERVE
  b2b::cli::add_serve_command(app);
#endif
  return b2b::cli::run_app(app, argc, argv, describe);
}
