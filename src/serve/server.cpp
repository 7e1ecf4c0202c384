#include "serve/server.h"

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "api/prediction_json.h"
#include "serve/http_server.h"
#include "serve/metrics.h"
#include "serve/micro_batcher.h"
#include "serve/open_inference.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

namespace {

using Json = nlohmann::json;

// Dumps without throwing on invalid UTF-8 (an error message may quote the bad bytes).
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

const char* status_text(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found: the endpoints are POST /predict (/models/NAME/predict with several "
             "models), GET /info, GET /health (/live, /ready), GET /metrics and the Open "
             "Inference Protocol's /v2 routes";
    case 405:
      return "method not allowed";
    case 413:
      return "request body too large (see --max-body-bytes)";
    case 415:
      return "unsupported content type: send application/json";
    default:
      return status >= 500 ? "internal error" : "request refused";
  }
}

Example text_example(std::string a, std::string b = "") {
  Example e;
  e.text_a = std::move(a);
  e.text_b = std::move(b);
  return e;
}

std::string string_field(const Json& object, const char* name, const std::string& where) {
  const auto it = object.find(name);
  if (it == object.end())
    throw RequestError(400, where + ": missing field \"" + std::string(name) + "\"");
  if (!it->is_string())
    throw RequestError(400, where + ": \"" + std::string(name) + "\" must be a string");
  return it->get<std::string>();
}

const Json& nonempty_list(const Json& body, const char* name) {
  const Json& list = body[name];
  if (!list.is_array()) throw RequestError(400, "\"" + std::string(name) + "\" must be a list");
  if (list.empty()) throw RequestError(400, "\"" + std::string(name) + "\" is empty");
  return list;
}

Example pair_item(const Json& item, const std::string& where) {
  if (item.is_array()) {
    if (item.size() != 2 || !item[0].is_string() || !item[1].is_string())
      throw RequestError(400, where + ": a pair is [text_a, text_b], two strings");
    return text_example(item[0].get<std::string>(), item[1].get<std::string>());
  }
  if (!item.is_object())
    throw RequestError(400, where + ": a pair is {\"text_a\": ..., \"text_b\": ...}");
  return text_example(string_field(item, "text_a", where), string_field(item, "text_b", where));
}

void parse_single(const Json& body, PredictRequest& request) {
  if (body.contains("text")) {
    request.examples.push_back(text_example(string_field(body, "text", "body")));
  } else if (body.contains("texts")) {
    const Json& list = nonempty_list(body, "texts");
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string())
        throw RequestError(400, "texts[" + std::to_string(i) + "] must be a string");
      request.examples.push_back(text_example(list[i].get<std::string>()));
    }
    request.list = true;
  } else if (body.contains("text_a") || body.contains("pairs")) {
    throw RequestError(400,
                       "this model classifies single sentences: send {\"text\": ...} or "
                       "{\"texts\": [...]}");
  } else {
    throw RequestError(400, "missing field \"text\" (or \"texts\")");
  }
}

void parse_pairs(const Json& body, PredictRequest& request) {
  if (body.contains("text_a") || body.contains("text_b")) {
    request.examples.push_back(pair_item(body, "body"));
  } else if (body.contains("pairs")) {
    const Json& list = nonempty_list(body, "pairs");
    for (size_t i = 0; i < list.size(); ++i)
      request.examples.push_back(pair_item(list[i], "pairs[" + std::to_string(i) + "]"));
    request.list = true;
  } else if (body.contains("text") || body.contains("texts")) {
    throw RequestError(400,
                       "this model classifies sentence pairs: send {\"text_a\": ..., "
                       "\"text_b\": ...} or {\"pairs\": [...]}");
  } else {
    throw RequestError(400, "missing fields \"text_a\" and \"text_b\" (or \"pairs\")");
  }
}

bool is_json_content_type(std::string type) {
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type.rfind("application/json", 0) == 0;
}

}  // namespace

Json parse_json_object(const std::string& body) {
  if (!is_valid_utf8(body)) throw RequestError(400, "the body is not valid UTF-8");
  Json json;
  try {
    json = Json::parse(body);
  } catch (const Json::exception& e) {  // parse errors, and numbers out of range (1e999)
    throw RequestError(400, std::string("invalid JSON: ") + e.what());
  }
  if (!json.is_object()) throw RequestError(400, "the body must be a JSON object");
  return json;
}

void check_request_limits(const std::vector<Example>& examples, const RequestLimits& limits) {
  if (examples.size() > limits.max_texts) {
    throw RequestError(413, std::to_string(examples.size()) + " texts in one request; at most " +
                                std::to_string(limits.max_texts) + " (see --max-texts)");
  }
  for (size_t i = 0; i < examples.size(); ++i) {
    const size_t bytes = std::max(examples[i].text_a.size(), examples[i].text_b.size());
    if (bytes > limits.max_text_bytes) {
      throw RequestError(413, "text " + std::to_string(i) + " has " + std::to_string(bytes) +
                                  " bytes; at most " + std::to_string(limits.max_text_bytes) +
                                  " (see --max-text-bytes)");
    }
  }
}

PredictRequest parse_predict_request(const std::string& body, const TaskSpec& task,
                                     const RequestLimits& limits) {
  const Json json = parse_json_object(body);
  PredictRequest request;
  if (task.is_pair()) {
    parse_pairs(json, request);
  } else {
    parse_single(json, request);
  }
  check_request_limits(request.examples, limits);
  return request;
}

namespace {

HttpResponse json_response(std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse error_json(int status, const std::string& message) {
  return json_response(dump(Json{{"error", message}}), status);
}

// The Open Inference Protocol's health answers: the status says it, the body is empty.
HttpResponse health(bool ok) {
  HttpResponse r;
  r.status = ok ? 200 : 400;
  r.content_type = "text/plain";
  return r;
}

// Gives the allocator's free pages back to the system, at most once a second, from whichever
// loop thread answers then. glibc keeps what each thread's arena freed: under 64 clients mixed
// with malformed requests the resident set crept while nothing leaked
// (tests/lib/test_serve_abuse.cpp); trimmed, with the arenas capped (cli/cmd_serve.cpp), it
// stays flat.
void trim_free_memory() {
#ifdef __GLIBC__
  static std::atomic<int64_t> last{0};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t before = last.load(std::memory_order_relaxed);
  if (now > before && last.compare_exchange_strong(before, now)) malloc_trim(0);
#endif
}

// Refuses a body before it is read: a declared length over the limit (413) and bodies without
// a length (chunked: 411), whose size is known only once read.
std::optional<HttpResponse> refuse_body_early(const HttpRequest& head, size_t max_bytes) {
  if (head.method != "POST") return std::nullopt;
  if (!head.header("Transfer-Encoding").empty())
    return error_json(411, "send the body with a Content-Length (chunked bodies are not read)");
  const std::string length = head.header("Content-Length");
  if (length.find_first_not_of("0123456789") != std::string::npos)
    return error_json(400, "Content-Length is not a number");
  if (length.size() > 18 || (!length.empty() && std::stoull(length) > max_bytes)) {
    return error_json(413, "request body of " + length + " bytes; at most " +
                               std::to_string(max_bytes) + " (see --max-body-bytes)");
  }
  return std::nullopt;
}

// Compares in time that depends on the lengths only, not on where the strings differ.
bool same_secret(const std::string& given, const std::string& secret) {
  unsigned char differ = given.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i)
    differ |= static_cast<unsigned char>(given[i] ^ secret[secret.empty() ? 0 : i % secret.size()]);
  return differ == 0 && !secret.empty();
}

// "/v2/models/NAME/infer" -> {"v2", "models", "NAME", "infer"}.
std::vector<std::string> path_parts(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

// One model as served: the classifier and the batcher that runs it, together, since a request
// is encoded with the vocabulary of the model that will compute it. A reload builds a new
// slot and swaps it in whole; requests hold the slot they started with.
struct ModelSlot {
  ModelSlot(std::shared_ptr<const StudentClassifier> m, const ServeOptions& o, int workers,
            ServerMetrics& metrics)
      : model(std::move(m)),
        batcher(
            [this](const std::vector<EncodedExample>& examples) {
              std::vector<float> logits(examples.size() * model->num_labels());
              model->logits(examples, logits.data());
              return logits;
            },
            {std::max<size_t>(o.max_batch, 1),
             std::chrono::microseconds(static_cast<int64_t>(o.max_wait_ms * 1000)), workers},
            [&metrics](size_t sentences, double seconds) { metrics.batch(sentences, seconds); }) {}

  std::shared_ptr<const StudentClassifier> model;
  MicroBatcher batcher;
};

struct ServedModel {
  std::string name, dir;
  std::shared_ptr<ModelSlot> slot;  // read and swapped with std::atomic_load/store
  std::shared_ptr<ModelSlot> current() const { return std::atomic_load(&slot); }
};

struct PredictionServer::Impl {
  Impl(const ServeOptions& o, ModelLoader loader)
      : options(o), load(std::move(loader)), http(limits_of(o), hooks()) {
    if (o.metrics_port >= 0) {
      HttpServer::Hooks h = hooks();
      h.handle = [this](HttpRequest request, HttpServer::Respond respond) {
        handle_admin(std::move(request), respond);
      };
      h.client_active = h.client_gone = nullptr;  // not the model's clients
      admin = std::make_unique<HttpServer>(limits_of(o), std::move(h));
    }
  }

  static HttpLimits limits_of(const ServeOptions& o) {
    HttpLimits limits;
    limits.max_body_bytes = o.max_body_bytes;
    limits.head_deadline = std::chrono::milliseconds(static_cast<int64_t>(o.head_seconds * 1000));
    limits.body_deadline = std::chrono::milliseconds(static_cast<int64_t>(o.body_seconds * 1000));
    limits.idle_limit = std::chrono::milliseconds(static_cast<int64_t>(o.idle_seconds * 1000));
    return limits;
  }
  HttpServer::Hooks hooks();
  int workers_per_model() const {
    const int threads = options.threads > 0
                            ? options.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(1, threads / static_cast<int>(std::max<size_t>(models.size(), 1)));
  }
  // Loads `dir`, checks it with one forward pass, and builds its slot; throws Error.
  std::shared_ptr<ModelSlot> make_slot(const std::string& name, const std::string& dir);
  PredictionServer::Reloaded reload_one(ServedModel& served);
  // Every model, or the one named, one reload at a time; each result logged (and returned).
  std::vector<PredictionServer::Reloaded> reload(const std::string& name) {
    std::lock_guard<std::mutex> lock(reloading);
    std::vector<PredictionServer::Reloaded> results;
    for (auto& m : models) {
      if (!name.empty() && m.name != name) continue;
      results.push_back(reload_one(m));
      if (results.back().ok) {
        note("serve: " + results.back().message);
      } else {
        warn("serve: " + results.back().message);
      }
    }
    return results;
  }
  const ServedModel* find(const std::string& name) const {
    for (const auto& m : models)
      if (m.name == name) return &m;
    return nullptr;
  }
  std::string route_template(const std::string& path) const;
  void handle(HttpRequest request, const HttpServer::Respond& respond);
  // The metrics address's routes: GET /metrics, POST /admin/reload, GET /health/live.
  void handle_admin(HttpRequest request, const HttpServer::Respond& respond);
  // What a prediction route hands the batcher: the encoded examples, and how to answer from
  // their logits (with the model that computed them).
  struct Computation {
    std::vector<EncodedExample> encoded;
    std::function<Json(const StudentClassifier&, const std::vector<float>&)> answer;
  };
  void compute(const ServedModel& served, const HttpRequest& request,
               const HttpServer::Respond& respond,
               const std::function<Computation(const StudentClassifier&)>& start);
  void predict(const ServedModel& served, const HttpRequest& request,
               const HttpServer::Respond& respond);
  void infer(const ServedModel& served, const HttpRequest& request,
             const HttpServer::Respond& respond);
  void admin_reload(const HttpRequest& request, const HttpServer::Respond& respond);
  HttpResponse metrics_page() const;
  std::string info_body() const;

  ServeOptions options;
  ModelLoader load;
  ServerMetrics metrics{{"/predict", "/models/{name}/predict", "/info", "/health", "/health/live",
                         "/health/ready", "/metrics", "/admin/reload", "/v2", "/v2/health/live",
                         "/v2/health/ready", "/v2/models/{name}", "/v2/models/{name}/ready",
                         "/v2/models/{name}/infer"}};
  std::vector<ServedModel> models;  // fixed once built; their slots change
  std::atomic<size_t> clients{0};   // connections that have sent a request, for new batchers
  // What the replaced slots' batchers counted, so that the totals never go backwards.
  mutable std::mutex retired_mutex;
  MicroBatcherStats retired;
  MicroBatcherStats totals() const {
    std::lock_guard<std::mutex> lock(retired_mutex);
    MicroBatcherStats total = retired;
    for (const auto& m : models) {
      const MicroBatcherStats s = m.current()->batcher.stats();
      total.requests += s.requests;
      total.sentences += s.sentences;
      total.batches += s.batches;
      total.queued_sentences += s.queued_sentences;
    }
    return total;
  }
  std::mutex reloading;  // one reload at a time
  HttpServer http;
  std::unique_ptr<HttpServer> admin;  // --metrics-address
  int admin_port = -1;
  std::atomic<bool> stopping{false}, ready{false};
};

std::shared_ptr<ModelSlot> PredictionServer::Impl::make_slot(const std::string& name,
                                                             const std::string& dir) {
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const StudentClassifier> model = load(dir);
  // One forward pass before it serves: it must compute, and the first pass pays for the pages
  // of the weights and the scratch space.
  Example warm;
  warm.text_a = warm.text_b = "warm";
  std::vector<float> logits(model->labels().size());
  model->logits(model->encode(std::vector<Example>{warm}), logits.data());
  for (float v : logits)
    if (!std::isfinite(v)) throw Error("serve: " + dir + ": the model computes non-finite logits");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string labels;
  for (const auto& label : model->labels()) labels += (labels.empty() ? "" : ",") + label;
  auto slot = std::make_shared<ModelSlot>(model, options, workers_per_model(), metrics);
  for (size_t c = clients; c > 0; --c) slot->batcher.client_connected();
  metrics.set_model({name, model->task(), labels, model_directory_hash(dir), seconds});
  return slot;
}

// Loads the model again from its directory; on success swaps it in, and waits (on this thread)
// for the requests that hold the old one before letting it go (its batcher's workers must not
// end their own batcher). Returns what happened, in one line.
PredictionServer::Reloaded PredictionServer::Impl::reload_one(ServedModel& served) {
  std::shared_ptr<ModelSlot> fresh;
  try {
    fresh = make_slot(served.name, served.dir);
  } catch (const std::exception& e) {
    metrics.reload(served.name, false);
    return {false,
            "model " + served.name + ": reload refused, the previous model serves on: " + e.what()};
  }
  std::shared_ptr<ModelSlot> old = std::atomic_exchange(&served.slot, fresh);
  metrics.reload(served.name, true);
  for (int i = 0; i < 6000 && old.use_count() > 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  {
    const MicroBatcherStats s = old->batcher.stats();
    std::lock_guard<std::mutex> lock(retired_mutex);
    retired.requests += s.requests;
    retired.sentences += s.sentences;
    retired.batches += s.batches;
  }
  if (old.use_count() > 1) new std::shared_ptr<ModelSlot>(old);  // still busy: kept, not ended
  return {true, "model " + served.name + ": reloaded from " + served.dir};
}

std::string PredictionServer::Impl::route_template(const std::string& path) const {
  // Every answer passes here: the static routes (/predict above all) split nothing.
  if (path.rfind("/models/", 0) != 0 && path.rfind("/v2/models/", 0) != 0) return path;
  const std::vector<std::string> parts = path_parts(path);
  if (parts.size() == 3 && parts[0] == "models" && parts[2] == "predict")
    return "/models/{name}/predict";
  if (parts.size() >= 3 && parts[0] == "v2" && parts[1] == "models") {
    if (parts.size() == 3) return "/v2/models/{name}";
    if (parts.size() == 4 && (parts[3] == "ready" || parts[3] == "infer"))
      return "/v2/models/{name}/" + parts[3];
  }
  return path;  // a static route, or mapped to "other" by the metrics
}

HttpServer::Hooks PredictionServer::Impl::hooks() {
  HttpServer::Hooks h;
  h.handle = [this](HttpRequest request, HttpServer::Respond respond) {
    handle(std::move(request), respond);
  };
  h.check_head = [this](const HttpRequest& head) {
    return refuse_body_early(head, options.max_body_bytes);
  };
  // Every answer counted by route template and status, with its time from the head's end.
  h.answered = [this](const std::string& path, int status, double seconds) {
    metrics.request(route_template(path), status, seconds);
    trim_free_memory();
  };
  h.client_active = [this] {
    ++clients;
    for (const auto& m : models) m.current()->batcher.client_connected();
  };
  h.client_gone = [this] {
    --clients;
    for (const auto& m : models) m.current()->batcher.client_disconnected();
  };
  return h;
}

HttpResponse PredictionServer::Impl::metrics_page() const {
  const MicroBatcherStats total = totals();
  LiveGauges live;
  live.open_connections = http.open_connections();
  live.queued_sentences = total.queued_sentences;
  live.sentences = total.sentences;
  live.batches = total.batches;
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics.render(live);
  return r;
}

// GET /info: the lone model's description, the server's name and batching; with several
// models, {"name", "version", "models": {NAME: description, ...}}.
std::string PredictionServer::Impl::info_body() const {
  auto describe = [&](const ServedModel& m) {
    Json info = Json::parse(m.current()->model->info_json());
    info.erase("model_type");
    info["name"] = "bert2bilstm";
    info["version"] = B2B_VERSION;
    info["max_batch"] = options.max_batch;
    info["max_wait_ms"] = options.max_wait_ms;
    return info;
  };
  if (models.size() == 1) return dump(describe(models[0]));
  Json all = {{"name", "bert2bilstm"}, {"version", B2B_VERSION}, {"models", Json::object()}};
  for (const auto& m : models) {
    Json info = describe(m);
    info.erase("name");
    info.erase("version");
    all["models"][m.name] = info;
  }
  return dump(all);
}

void PredictionServer::Impl::handle(HttpRequest request, const HttpServer::Respond& respond) {
  const std::string& path = request.path;
  const std::string& method = request.method;
  const bool get = method == "GET" || method == "HEAD";
  auto only = [&](const char* allowed) {
    HttpResponse r =
        error_json(405, std::string(status_text(405)) + ": " + path + " takes " + allowed);
    r.headers.emplace_back("Allow", allowed);
    respond(std::move(r));
  };
  auto model_named = [&](const std::string& name) -> const ServedModel* {
    const ServedModel* m = find(name);
    if (!m) respond(error_json(404, "no model named \"" + name + "\""));
    return m;
  };
  const bool serving = ready && !stopping;
  if (admin && (path == "/metrics" || path == "/admin/reload")) {
    return respond(error_json(404, path + " is served on the metrics address alone (" +
                                       options.metrics_host + ":" + std::to_string(admin_port) +
                                       ")"));
  }
  if (path == "/predict") {
    if (method != "POST") return only("POST");
    if (models.size() > 1) {
      std::string routes;
      for (const auto& m : models)
        routes += (routes.empty() ? "" : ", ") + ("/models/" + m.name + "/predict");
      return respond(error_json(400, "this server serves " + std::to_string(models.size()) +
                                         " models: POST to " + routes));
    }
    return predict(models[0], request, respond);
  }
  if (path == "/health" || path == "/health/live" || path == "/health/ready" || path == "/info" ||
      path == "/metrics" || path == "/v2" || path == "/v2/health/live" ||
      path == "/v2/health/ready") {
    if (!get) return only("GET");
    if (path == "/health") return respond(json_response(R"({"status":"ok"})"));
    if (path == "/health/live") return respond(json_response(R"({"status":"live"})"));
    if (path == "/info") return respond(json_response(info_body()));
    if (path == "/metrics") return respond(metrics_page());
    if (path == "/v2") {
      return respond(json_response(dump(
          {{"name", "bert2bilstm"}, {"version", B2B_VERSION}, {"extensions", Json::array()}})));
    }
    if (path == "/v2/health/live") return respond(health(true));
    if (path == "/v2/health/ready") return respond(health(serving));
    if (stopping) return respond(error_json(503, "draining: this server is stopping"));
    if (!ready) return respond(error_json(503, "not ready: the model is warming up"));
    return respond(json_response(R"({"status":"ready"})"));
  }
  if (path == "/admin/reload" && !options.admin_token.empty()) {
    if (method != "POST") return only("POST");
    return admin_reload(request, respond);
  }
  const std::vector<std::string> parts = path_parts(path);
  if (parts.size() == 3 && parts[0] == "models" && parts[2] == "predict") {
    if (method != "POST") return only("POST");
    if (const ServedModel* m = model_named(parts[1])) predict(*m, request, respond);
    return;
  }
  if (parts.size() >= 3 && parts[0] == "v2" && parts[1] == "models") {
    if (parts.size() >= 4 && parts[3] == "versions") {
      return respond(error_json(404,
                                "model versions are not served: drop /versions/... (each "
                                "name serves the model its directory holds)"));
    }
    if (parts.size() == 3 || (parts.size() == 4 && parts[3] == "ready")) {
      if (!get) return only("GET");
      const ServedModel* m = model_named(parts[2]);
      if (!m) return;
      if (parts.size() == 4) return respond(health(serving));
      return respond(json_response(dump(model_metadata(m->name, *m->current()->model))));
    }
    if (parts.size() == 4 && parts[3] == "infer") {
      if (method != "POST") return only("POST");
      if (const ServedModel* m = model_named(parts[2])) infer(*m, request, respond);
      return;
    }
  }
  respond(error_json(404, status_text(404)));
}

void PredictionServer::Impl::handle_admin(HttpRequest request, const HttpServer::Respond& respond) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/metrics" && get) return respond(metrics_page());
  if (path == "/health/live" && get) return respond(json_response(R"({"status":"live"})"));
  if (path == "/admin/reload" && request.method == "POST" && !options.admin_token.empty())
    return admin_reload(request, respond);
  respond(error_json(
      404, "the metrics address serves GET /metrics, GET /health/live" +
               std::string(options.admin_token.empty() ? "" : " and POST /admin/reload")));
}

// The prediction routes' common steps: 415 unless the body is JSON, a RequestError answered
// with its status; `start` parses and encodes with the model's current slot, and the answer
// comes from answer(logits) once the batcher has computed them (500 if the model failed).
void PredictionServer::Impl::compute(
    const ServedModel& served, const HttpRequest& req, const HttpServer::Respond& respond,
    const std::function<Computation(const StudentClassifier&)>& start) {
  try {
    if (!is_json_content_type(req.header("Content-Type")))
      throw RequestError(415, status_text(415));
    std::shared_ptr<ModelSlot> slot = served.current();
    Computation c = start(*slot->model);
    slot->batcher.submit(std::move(c.encoded),
                         [slot, answer = std::move(c.answer), respond](std::vector<float> logits,
                                                                       std::exception_ptr error) {
                           if (error)
                             return respond(error_json(500, "internal error: the model failed"));
                           respond(json_response(dump(answer(*slot->model, logits))));
                         });
  } catch (const RequestError& e) {
    respond(error_json(e.status, e.what()));
  }
}

void PredictionServer::Impl::predict(const ServedModel& served, const HttpRequest& req,
                                     const HttpServer::Respond& respond) {
  compute(served, req, respond, [&](const StudentClassifier& model) {
    auto request = std::make_shared<PredictRequest>(
        parse_predict_request(req.body, model.config().task, options.limits));
    const size_t n = request->examples.size();
    Computation c;
    c.encoded = model.encode(request->examples);
    // A text without words is read as one unknown word (as in training): the answer says so.
    auto wordless = std::make_shared<std::vector<bool>>(n);
    for (size_t i = 0; i < n; ++i) {
      auto lone_unknown = [](const std::vector<int64_t>& ids) {
        return ids.size() == 1 && ids[0] == Vocabulary::kUnk;
      };
      const Example& e = request->examples[i];
      (*wordless)[i] =
          (lone_unknown(c.encoded[i].a) && !model.has_words(e.text_a)) ||
          (model.is_pair() && lone_unknown(c.encoded[i].b) && !model.has_words(e.text_b));
    }
    c.answer = [request, wordless](const StudentClassifier& model,
                                   const std::vector<float>& logits) {
      const size_t k = static_cast<size_t>(model.num_labels());
      auto prediction = [&](size_t i) {
        Json row = prediction_json(model, logits.data() + i * k);
        if ((*wordless)[i]) row["warning"] = "no words in the text: read as one unknown word";
        return row;
      };
      if (!request->list) return prediction(0);
      Json answer = {{"predictions", Json::array()}};
      for (size_t i = 0; i < request->examples.size(); ++i)
        answer["predictions"].push_back(prediction(i));
      return answer;
    };
    return c;
  });
}

void PredictionServer::Impl::infer(const ServedModel& served, const HttpRequest& req,
                                   const HttpServer::Respond& respond) {
  compute(served, req, respond, [&](const StudentClassifier& model) {
    auto request = std::make_shared<InferRequest>(
        parse_infer_request(req.body, model.config().task, options.limits));
    Computation c;
    c.encoded = model.encode(request->examples);
    c.answer = [request, name = served.name](const StudentClassifier& m,
                                             const std::vector<float>& logits) {
      return infer_answer(name, m, *request, logits);
    };
    return c;
  });
}

// POST /admin/reload[?model=NAME], with "Authorization: Bearer TOKEN": the reload runs on a
// thread of its own (loading takes seconds; the loop threads must not wait), which answers.
void PredictionServer::Impl::admin_reload(const HttpRequest& request,
                                          const HttpServer::Respond& respond) {
  const std::string authorization = request.header("Authorization");
  const std::string prefix = "Bearer ";
  const std::string given =
      authorization.rfind(prefix, 0) == 0 ? authorization.substr(prefix.size()) : "";
  if (!same_secret(given, options.admin_token)) {
    HttpResponse r = error_json(401, "send the admin token: Authorization: Bearer TOKEN");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return respond(std::move(r));
  }
  const std::string name = request.parameter("model");
  if (!name.empty() && !find(name))
    return respond(error_json(404, "no model named \"" + name + "\""));
  std::thread([this, name, respond] {
    Json lines = Json::array();
    bool all_ok = true;
    for (const Reloaded& r : reload(name)) {
      all_ok = all_ok && r.ok;
      lines.push_back(r.message);
    }
    respond(json_response(dump({{"reloaded", all_ok}, {"models", lines}}), all_ok ? 200 : 422));
  }).detach();
}

PredictionServer::PredictionServer(std::vector<ModelSpec> models, ModelLoader load,
                                   ServeOptions options)
    : impl_(std::make_unique<Impl>(options, std::move(load))) {
  if (models.empty()) throw Error("serve: no model to serve");
  for (const auto& spec : models) {
    if (impl_->find(spec.name)) throw Error("serve: two models named \"" + spec.name + "\"");
    impl_->models.push_back({spec.name, spec.dir, nullptr});
  }
  for (auto& m : impl_->models) m.slot = impl_->make_slot(m.name, m.dir);
  impl_->ready = true;
}

PredictionServer::~PredictionServer() = default;

int PredictionServer::bind() {
  const auto& o = impl_->options;
  const int port = impl_->http.bind(o.host, o.port);
  if (impl_->admin) impl_->admin_port = impl_->admin->bind(o.metrics_host, o.metrics_port);
  return port;
}

int PredictionServer::metrics_port() const { return impl_->admin_port; }

void PredictionServer::listen() {
  const int threads = impl_->options.http_threads > 0
                          ? impl_->options.http_threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::thread admin;
  if (impl_->admin) admin = std::thread([this] { impl_->admin->run(1); });
  impl_->http.run(threads);
  if (admin.joinable()) admin.join();
}

void PredictionServer::stop() {
  impl_->stopping = true;
  if (impl_->admin) impl_->admin->stop();
  // Last: once it has stopped, listen() may return and this server end.
  impl_->http.stop();
}

void PredictionServer::drain_then_stop(double seconds) {
  impl_->stopping = true;  // not ready from now on
  impl_->http.drain();
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop();
}

std::vector<PredictionServer::Reloaded> PredictionServer::reload(const std::string& name) {
  return impl_->reload(name);
}

std::string PredictionServer::stats() const {
  const MicroBatcherStats total = impl_->totals();
  return std::to_string(total.requests) + " requests, " + std::to_string(total.sentences) +
         " sentences in " + std::to_string(total.batches) + " batches";
}

}  // namespace b2b
