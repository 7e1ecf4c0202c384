#include <cstdio>

#include "cli/commands.h"
#include "pipeline/report.h"
#include "util/atomic_file.h"

namespace b2b::cli {

namespace {

struct Flags {
  std::vector<std::string> runs;
  std::string out;
};

void run(const Flags& f) {
  // The learning curve's plot goes beside the markdown file: NAME.md -> NAME.png.
  std::string png;
  if (!f.out.empty()) {
    png = f.out;
    const size_t dot = png.rfind('.');
    if (dot != std::string::npos && png.find('/', dot) == std::string::npos) png.resize(dot);
    png += ".png";
  }
  const std::string table = compare_reports(f.runs, png);
  if (f.out.empty()) {
    std::fputs(table.c_str(), stdout);
    return;
  }
  write_file_atomic(f.out, table);
  std::fprintf(stderr, "comparison: %s\n", f.out.c_str());
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "report", "Compare finished distill runs: distilled vs undistilled, one row per run");
  cmd->add_option("--runs", flags->runs, "distill output directories")->required();
  cmd->add_option("--out", flags->out,
                  "markdown file to write (default: standard output); a learning curve over "
                  "--gold-size is plotted beside it (NAME.png)");
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
