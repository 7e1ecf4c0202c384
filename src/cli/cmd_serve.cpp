#include <pthread.h>

#include <chrono>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "cli/common.h"
#include "serve/server.h"
#include "util/error.h"

namespace b2b::cli {

namespace {

struct Flags {
  std::vector<std::string> models;
  std::string metrics_address;
  bool no_projection = false;
  size_t max_words = ClassifierOptions{}.max_words;
  ServeOptions options;
};

// SIGINT, SIGTERM and SIGHUP are blocked in every thread (so this must come before any thread
// is started) and taken by one waiting thread: SIGHUP reloads every model (and waits for the
// next signal); SIGINT or SIGTERM drains and stops the server: requests in flight are answered,
// then listen() returns.
class ShutdownOnSignal {
 public:
  ShutdownOnSignal() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  }
  // The first SIGINT or SIGTERM drains for `drain_seconds` (readiness fails, requests are
  // still answered), then stops.
  void stop_on_signal(PredictionServer& server, double drain_seconds) {
    waiter_ = std::thread([this, &server, drain_seconds] {
      int signal = 0;
      for (;;) {
        sigwait(&signals_, &signal);
        if (done_) return;  // the server has ended without a signal
        if (signal != SIGHUP) break;
        std::fprintf(stderr, "serve: %s, reloading\n", strsignal(signal));
        server.reload();  // each model's result logged by the server
      }
      if (drain_seconds > 0) {
        std::fprintf(stderr, "serve: %s, draining for %g s, then stopping\n", strsignal(signal),
                     drain_seconds);
      } else {
        std::fprintf(stderr, "serve: %s, shutting down\n", strsignal(signal));
      }
      server.drain_then_stop(drain_seconds);
    });
  }
  ~ShutdownOnSignal() {
    if (!waiter_.joinable()) return;
    done_ = true;
    pthread_kill(waiter_.native_handle(), SIGTERM);  // wakes the waiter if no signal came
    waiter_.join();
  }

 private:
  sigset_t signals_;
  std::atomic<bool> done_{false};
  std::thread waiter_;
};

// At most two malloc arenas per core (glibc's default is eight): each connection thread would
// otherwise take an arena of its own and keep what it freed there. Under 64 clients mixed
// with malformed requests after a thousand idle connections, the resident set crept from 84 to
// 106 MB in 60 s; capped (and trimmed, serve/server.cpp) it stayed at 39-49 MB, for about 10%
// fewer answers in that test (clients on the same cores; wrk's requests/s did not move).
// MALLOC_ARENA_MAX in the environment wins.
void cap_malloc_arenas() {
#ifdef __GLIBC__
  if (std::getenv("MALLOC_ARENA_MAX")) return;
  mallopt(M_ARENA_MAX, 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
#endif
}

// --model DIR or --model NAME=DIR (NAME: letters, digits, '_', '-', '.'); a lone DIR is served
// under its directory's name.
ModelSpec model_spec(const std::string& flag) {
  const size_t equals = flag.find('=');
  if (equals != std::string::npos && equals > 0) {
    const std::string name = flag.substr(0, equals);
    const bool plain = name.find_first_not_of(
                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789_-.") == std::string::npos;
    if (plain && !std::filesystem::is_directory(flag)) return {name, flag.substr(equals + 1)};
  }
  std::string dir = flag;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string name = std::filesystem::path(dir).filename().string();
  if (name.empty() || name == "." || name == "..") name = "default";
  return {name, flag};
}

void run(const Flags& f) {
  cap_malloc_arenas();  // before the first thread
  ShutdownOnSignal shutdown;
  if (f.options.max_batch == 0) throw Error("--max-batch must be positive");
  if (!(f.options.max_wait_ms >= 0)) throw Error("--max-wait-ms must be >= 0");
  ClassifierOptions model_options;
  model_options.project_vocabulary = !f.no_projection;
  model_options.max_words = f.max_words;
  std::vector<ModelSpec> models;
  for (const auto& flag : f.models) models.push_back(model_spec(flag));
  ModelLoader load = [model_options](const std::string& dir) {
    return std::shared_ptr<const StudentClassifier>(StudentClassifier::load(dir, model_options));
  };
  ServeOptions options = f.options;
  if (!f.metrics_address.empty()) {  // HOST:PORT, or PORT on --host
    const size_t colon = f.metrics_address.rfind(':');
    const std::string port =
        colon == std::string::npos ? f.metrics_address : f.metrics_address.substr(colon + 1);
    options.metrics_host =
        colon == std::string::npos ? options.host : f.metrics_address.substr(0, colon);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535 ||
        options.metrics_host.empty())
      throw Error("--metrics-address: expected HOST:PORT or PORT, got '" + f.metrics_address + "'");
    options.metrics_port = std::stoi(port);
  }
  PredictionServer server(std::move(models), std::move(load), options);
  shutdown.stop_on_signal(server, f.options.drain_seconds);
  const int port = server.bind();
  std::printf("listening on http://%s:%d (POST /predict, GET /health, GET /info)\n",
              f.options.host.c_str(), port);
  if (server.metrics_port() >= 0) {
    std::printf("metrics on http://%s:%d/metrics\n", options.metrics_host.c_str(),
                server.metrics_port());
  }
  std::fflush(stdout);
  server.listen();
  std::fprintf(stderr, "serve: stopped after %s\n", server.stats().c_str());
}

}  // namespace

void add_serve_command(CLI::App& app) {
  configure_serve(*app.add_subcommand(
      "serve", "HTTP JSON server for a student: POST /predict, GET /health, GET /info"));
}

void configure_serve(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto& o = flags->options;
  auto* cmd = &app;
  cmd->add_option("--model", flags->models,
                  "student directory, or NAME=DIR; repeat for several models (POST "
                  "/models/NAME/predict, /v2/models/NAME/infer; a lone DIR is named after its "
                  "directory)")
      ->required();
  cmd->add_option("--metrics-address", flags->metrics_address,
                  "HOST:PORT (or PORT): serve GET /metrics and POST /admin/reload there alone, "
                  "not on --port (0: a free port, printed)");
  cmd->add_option("--admin-token", o.admin_token,
                  "enables POST /admin/reload[?model=NAME] for requests with "
                  "\"Authorization: Bearer TOKEN\" (SIGHUP reloads every model without it)");
  cmd->add_option("--host", o.host)->capture_default_str();
  cmd->add_option("--port", o.port, "0 picks a free port (printed on stdout)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", o.threads,
                  "model threads, each computing its own batch (default: all cores)")
      ->check(positive_integer());
  cmd->add_option("--http-threads", o.http_threads,
                  "event-loop threads, which read, parse and tokenize requests (default: one per "
                  "core); connections hold none while they wait")
      ->check(positive_integer());
  cmd->add_option("--drain-seconds", o.drain_seconds,
                  "on SIGTERM or SIGINT: fail /health/ready at once and keep answering this long "
                  "(so that load balancers take the server out), then stop accepting, answer "
                  "what is in flight and exit 0")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--head-timeout", o.head_seconds,
                  "seconds a request head (request line and headers) may take from its first "
                  "byte; slower clients are cut off")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--body-timeout", o.body_seconds,
                  "seconds a request body may take after its head, and an answer to be taken")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--keep-alive-timeout", o.idle_seconds,
                  "seconds a kept-alive connection may wait between requests")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-batch", o.max_batch, "sentences per forward pass")->capture_default_str();
  cmd->add_option("--max-wait-ms", o.max_wait_ms,
                  "longest wait for a batch to fill while requests are arriving")
      ->capture_default_str();
  cmd->add_flag("--no-projection", flags->no_projection,
                "keep the word vectors instead of every word's precomputed LSTM input "
                "projections: less memory (vocabulary x E instead of x 8H floats), slower (each "
                "token is projected again)");
  cmd->add_option("--max-words", flags->max_words,
                  "words read per text, the first ones (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", o.max_body_bytes,
                  "larger bodies get 413 before they are read; bodies without a length "
                  "(chunked) get 411")
      ->capture_default_str()
      ->check(positive_integer());
  cmd->add_option("--max-texts", o.limits.max_texts,
                  "texts (or pairs) in one request; more get 413")
      ->capture_default_str()
      ->check(positive_integer());
  cmd->add_option("--max-text-bytes", o.limits.max_text_bytes,
                  "bytes of one text; longer texts get 413 (--max-words cuts shorter ones)")
      ->capture_default_str()
      ->check(positive_integer());
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
