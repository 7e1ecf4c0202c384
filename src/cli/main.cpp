// bert2bilstm: distill a fine-tuned BERT classifier into a BiLSTM. One program, one
// subcommand per pipeline stage (see README.md).
#include <c10/util/signal_handler.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "util/error.h"

int main(int argc, char** argv) {
#if defined(C10_SUPPORTS_FATAL_SIGNAL_HANDLERS)
  // B2B_CRASH_TRACES=1: a crash prints every thread's stack before the usual exit, for hosts
  // without a debugger (scripts/gpu_check.sh).
  if (const char* traces = std::getenv("B2B_CRASH_TRACES"); traces && traces == std::string("1"))
    c10::FatalSignalHandler::getInstance().setPrintStackTracesOnFatalSignal(true);
#endif
  CLI::App app{"bert2bilstm: distill a fine-tuned BERT classifier into a small BiLSTM",
               "bert2bilstm"};
  app.set_version_flag("--version", std::string("bert2bilstm ") + B2B_VERSION);
  app.require_subcommand(1);
  // One line, as every other error: CLI11's default adds a second "Run with --help" line.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + " (see --help)\n";
  });
  b2b::cli::add_split_command(app);
  b2b::cli::add_student_command(app);
  b2b::cli::add_eval_command(app);
  b2b::cli::add_predict_command(app);
  b2b::cli::add_tokenize_command(app);
  b2b::cli::add_teacher_command(app);
  b2b::cli::add_pos_command(app);
  b2b::cli::add_augment_command(app);
  std::string command_line = "bert2bilstm";
  for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
  b2b::cli::add_distill_command(app, command_line);
  b2b::cli::add_demo_command(app, command_line);
  b2b::cli::add_bench_command(app);
  b2b::cli::add_report_command(app);
#ifdef B2B_WITH_SERVE
  b2b::cli::add_serve_command(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const b2b::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "error: " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
