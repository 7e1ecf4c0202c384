#include "cli/app.h"

#include <csignal>
#include <iostream>

namespace b2b::cli {

void configure_app(CLI::App& app) {
  app.set_version_flag("--version", std::string("bert2bilstm ") + B2B_VERSION);
  // One line, as every other error: CLI11's default adds a second "Run with --help" line.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + " (see --help)\n";
  });
}

int run_app(CLI::App& app, int argc, char** argv, std::string (*describe)(const std::exception&)) {
  // A write past the file-size limit (ulimit -f) then fails with EFBIG, reported like a full
  // disk, instead of killing the process by SIGXFSZ with a partial file left behind.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "error: " << (describe ? describe(e) : std::string(e.what())) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace b2b::cli
