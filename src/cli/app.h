#pragma once
// What every bert2bilstm program does with its command line: CLI11's errors as one line, and
// any failure of the command as one "error: ..." line with exit status 1.
#include <CLI/CLI.hpp>
#include <exception>
#include <string>

namespace b2b::cli {

// Sets --version and the one-line parse errors.
void configure_app(CLI::App& app);

// Parses and runs the command. `describe` turns an exception into its message (the default
// is what()): the main program uses it to drop libtorch's backtraces.
int run_app(CLI::App& app, int argc, char** argv,
            std::string (*describe)(const std::exception&) = nullptr);

}  // namespace b2b::cli
