#pragma once
// `serve`: the student behind HTTP/JSON. POST /predict, GET /info, GET /health (and
// /health/live, /health/ready: ready once the model has run a warm-up pass, not while the
// server drains), GET /metrics (Prometheus, serve/metrics.h). The event loop
// (serve/http_server.h) reads requests, parses and tokenizes them; MicroBatcher workers run
// the model and answer.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/student_classifier.h"
#include "data/dataset.h"

namespace b2b {

// What one /predict request may hold; more gets 413 before any text is tokenized.
struct RequestLimits {
  size_t max_texts = 1000;         // texts (or pairs) in one request
  size_t max_text_bytes = 100000;  // bytes of one text (a 512-word text is about 3 KB)
};

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;       // 0: any free port (bind() says which)
  int threads = 0;       // model workers, one BLAS thread and one batch each; 0: all cores
  int http_threads = 0;  // event-loop threads (parse, tokenize, write); 0: one per core
  // Deadlines (serve/http_server.h): a request head whole within head_seconds of its first
  // byte, its body within body_seconds; a kept-alive connection idle at most idle_seconds.
  double head_seconds = 5, body_seconds = 30, idle_seconds = 5;
  double drain_seconds = 0;  // on SIGTERM: answer this long with readiness failed, then stop
  size_t max_batch = 64;
  double max_wait_ms = 2;
  size_t max_body_bytes = 1 << 20;
  RequestLimits limits;
  // POST /admin/reload?model=NAME answers only with "Authorization: Bearer <admin_token>";
  // empty: the route is off (404).
  std::string admin_token;
  // With metrics_port >= 0 (0: a free one), GET /metrics and POST /admin/reload are served on
  // metrics_host:metrics_port alone (with GET /health/live), not on host:port.
  std::string metrics_host = "127.0.0.1";
  int metrics_port = -1;
};

// A request the server refuses: HTTP status and message.
class RequestError : public std::runtime_error {
 public:
  RequestError(int status, const std::string& message)
      : std::runtime_error(message), status(status) {}
  int status;
};

// A /predict body for a model of `task`: {"text": s} or {"texts": [s, ...]} for single-sentence
// models; {"text_a": a, "text_b": b} or {"pairs": [{"text_a": a, "text_b": b} or [a, b], ...]}
// for pair models. `list` is true for the list forms (the answer is {"predictions": [...]}).
struct PredictRequest {
  std::vector<Example> examples;
  bool list = false;
};
PredictRequest parse_predict_request(const std::string& body, const TaskSpec& task,
                                     const RequestLimits& limits = {});

// What every JSON route's body must be (/predict's, /v2/.../infer's): valid UTF-8 holding a JSON
// object; RequestError 400 otherwise.
nlohmann::json parse_json_object(const std::string& body);
// RequestError 413 for more texts than limits.max_texts, or a text over limits.max_text_bytes.
void check_request_limits(const std::vector<Example>& examples, const RequestLimits& limits);

// A model to serve: its name (in /models/NAME/predict, /v2/models/NAME/...) and directory.
struct ModelSpec {
  std::string name, dir;
};
// Builds a classifier from a student directory (reading and checking every file); throws
// Error naming the directory and the problem.
using ModelLoader = std::function<std::shared_ptr<const StudentClassifier>(const std::string& dir)>;

// The server. Each model gets its own micro-batcher with threads / models workers (at least
// one). Thread-safety: bind() and listen() from one thread; stop(), drain_then_stop() and
// reload() from any other.
class PredictionServer {
 public:
  // Loads every model and warms each up with one forward pass; throws Error.
  PredictionServer(std::vector<ModelSpec> models, ModelLoader load, ServeOptions options);
  ~PredictionServer();
  int bind();                // binds host:port and returns the port; throws Error when it cannot
  int metrics_port() const;  // after bind(), with ServeOptions::metrics_port >= 0: its port
  void listen();             // answers requests until stop()
  void stop();               // safe from any thread
  // Graceful stop, in the order Kubernetes needs: /health/ready fails at once, requests are
  // answered for `seconds` more (with `Connection: close`, so that clients reconnect
  // elsewhere), then stop(). Blocks for `seconds`; from any thread but listen()'s.
  void drain_then_stop(double seconds);
  // Loads every model (or the one named) again from its directory, checks it whole and runs
  // one forward pass, then switches to it at once: requests already taken finish on the old
  // one. A model that fails to load keeps serving the old one. One line per model says what
  // happened: logged, returned, and counted in bert2bilstm_model_reloads_total. One reload at
  // a time.
  struct Reloaded {
    bool ok = false;      // switched to the new model
    std::string message;  // one line: which model, what happened
  };
  std::vector<Reloaded> reload(const std::string& name = "");
  std::string stats() const;  // requests, batches, sentences so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace b2b
