#pragma once
// The server's Prometheus metrics, rendered in the text exposition format (0.0.4) for
// GET /metrics. Requests are counted by route template and status: a path that is not a route
// is counted as route="other", so random URLs cannot create series. Thread-safe.
#include <array>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace b2b {

// A cumulative histogram with fixed upper bounds (and +Inf).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // `name`_bucket{labels,le=...}, `name`_sum and `name`_count lines; labels without braces.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bound, then +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// What the server knows of a model for the *_info series and its load time.
struct ModelIdentity {
  std::string name, task, labels, hash;  // labels joined with ","
  double load_seconds = 0;
};

// Gauges read when /metrics is asked for.
struct LiveGauges {
  size_t queued_sentences = 0, open_connections = 0, sentences = 0, batches = 0;
};

class ServerMetrics {
 public:
  explicit ServerMetrics(std::vector<std::string> routes);
  // The model served under `model.name` (a reload replaces it).
  void set_model(ModelIdentity model);
  // One reload of the model named: switched to the new one, or refused.
  void reload(const std::string& name, bool succeeded);
  // One answered request: the path as requested (mapped to its route), status, seconds taken.
  void request(const std::string& path, int status, double seconds);
  // One forward pass: its sentences and seconds.
  void batch(size_t sentences, double seconds);
  std::string render(const LiveGauges& live) const;
  const std::string& route_of(const std::string& path) const;

 private:
  std::vector<std::string> routes_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram model_seconds_, batch_sizes_;
  std::map<std::string, ModelIdentity> models_;
  std::map<std::pair<std::string, bool>, uint64_t> reloads_;
};

// A 64-bit FNV-1a hash of the model directory's config.json, vocab.txt and model.safetensors,
// in hex: which model a server runs, for the *_info series. Empty when a file cannot be read.
std::string model_directory_hash(const std::string& dir);

}  // namespace b2b
