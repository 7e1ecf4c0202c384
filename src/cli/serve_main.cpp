// bert2bilstm-serve: `bert2bilstm serve` as a program of its own, on libbert2bilstm alone.
// What a deployment runs: it loads no libtorch (a fraction of the memory) and takes the same
// flags as `bert2bilstm serve`.
#include "cli/app.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "bert2bilstm-serve: HTTP JSON server for a student (POST /predict, GET /health, "
      "GET /info)",
      "bert2bilstm-serve"};
  b2b::cli::configure_app(app);
  b2b::cli::configure_serve(app);
  return b2b::cli::run_app(app, argc, argv);
}
