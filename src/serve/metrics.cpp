#include "serve/metrics.h"

#include <cstdio>
#include <fstream>

namespace b2b {

namespace {

const std::vector<double> kSeconds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const std::vector<double> kSentences = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

// A label value with \, " and line breaks escaped, as the format asks.
std::string escaped(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) +
           "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

ServerMetrics::ServerMetrics(std::vector<std::string> routes)
    : routes_(std::move(routes)), model_seconds_(kSeconds), batch_sizes_(kSentences) {
  routes_.push_back("other");
}

void ServerMetrics::set_model(ModelIdentity model) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string name = model.name;
  models_[name] = std::move(model);
}

void ServerMetrics::reload(const std::string& name, bool succeeded) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++reloads_[{name, succeeded}];
}

const std::string& ServerMetrics::route_of(const std::string& path) const {
  for (size_t i = 0; i + 1 < routes_.size(); ++i) {
    if (routes_[i] == path) return routes_[i];
  }
  return routes_.back();
}

void ServerMetrics::request(const std::string& path, int status, double seconds) {
  const std::string& route = route_of(path);
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(route, Histogram(kSeconds)).first;
  it->second.observe(seconds);
}

void ServerMetrics::batch(size_t sentences, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  model_seconds_.observe(seconds);
  batch_sizes_.observe(static_cast<double>(sentences));
}

std::string ServerMetrics::render(const LiveGauges& live) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  header(out, "bert2bilstm_http_requests_total", "counter",
         "HTTP requests answered, by route template and status");
  for (const auto& [key, count] : requests_) {
    out += "bert2bilstm_http_requests_total{route=\"" + escaped(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  header(out, "bert2bilstm_http_request_duration_seconds", "histogram",
         "time from a request's head to its answer, by route template");
  for (const auto& [route, histogram] : latency_)
    histogram.render(out, "bert2bilstm_http_request_duration_seconds",
                     "route=\"" + escaped(route) + "\"");
  header(out, "bert2bilstm_model_batch_duration_seconds", "histogram",
         "model time of one forward pass (a micro-batch)");
  model_seconds_.render(out, "bert2bilstm_model_batch_duration_seconds", "");
  header(out, "bert2bilstm_model_batch_size", "histogram", "sentences in one forward pass");
  batch_sizes_.render(out, "bert2bilstm_model_batch_size", "");
  header(out, "bert2bilstm_sentences_total", "counter", "sentences classified");
  out += "bert2bilstm_sentences_total " + std::to_string(live.sentences) + "\n";
  header(out, "bert2bilstm_queue_sentences", "gauge",
         "sentences queued for a model worker, not yet in a forward pass");
  out += "bert2bilstm_queue_sentences " + std::to_string(live.queued_sentences) + "\n";
  header(out, "bert2bilstm_open_connections", "gauge", "client connections open now");
  out += "bert2bilstm_open_connections " + std::to_string(live.open_connections) + "\n";
  header(out, "bert2bilstm_model_load_seconds", "gauge",
         "seconds the model took to load and warm up, by model");
  for (const auto& [name, model] : models_) {
    out += "bert2bilstm_model_load_seconds{model=\"" + escaped(name) + "\"} " +
           number(model.load_seconds) + "\n";
  }
  header(out, "bert2bilstm_model_info", "gauge", "the models served: name, task, labels, hash");
  for (const auto& [name, model] : models_) {
    out += "bert2bilstm_model_info{name=\"" + escaped(name) + "\",task=\"" + escaped(model.task) +
           "\",labels=\"" + escaped(model.labels) + "\",hash=\"" + escaped(model.hash) + "\"} 1\n";
  }
  header(out, "bert2bilstm_model_reloads_total", "counter",
         "model reloads, by model and result (ok: switched; failed: the old model serves on)");
  for (const auto& [key, count] : reloads_) {
    out += "bert2bilstm_model_reloads_total{model=\"" + escaped(key.first) + "\",result=\"" +
           (key.second ? "ok" : "failed") + "\"} " + std::to_string(count) + "\n";
  }
  return out;
}

std::string model_directory_hash(const std::string& dir) {
  uint64_t hash = 1469598103934665603ULL;
  std::vector<char> buffer(1 << 16);
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    std::ifstream in(dir + "/" + file, std::ios::binary);
    if (!in) return "";
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount()) {
      for (std::streamsize i = 0; i < in.gcount(); ++i) {
        hash ^= static_cast<unsigned char>(buffer[static_cast<size_t>(i)]);
        hash *= 1099511628211ULL;
      }
    }
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace b2b
