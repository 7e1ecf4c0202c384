#include "serve/server.h"

#include <atomic>
#include <cctype>
#include <cmath>
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
      return "not found: the endpoints are POST /predict, GET /info, GET /health (/live, "
             "/ready) and GET /metrics";
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

PredictRequest parse_predict_request(const std::string& body, const TaskSpec& task,
                                     const RequestLimits& limits) {
  if (!is_valid_utf8(body)) throw RequestError(400, "the body is not valid UTF-8");
  Json json;
  try {
    json = Json::parse(body);
  } catch (const Json::exception& e) {  // parse errors, and numbers out of range (1e999)
    throw RequestError(400, std::string("invalid JSON: ") + e.what());
  }
  if (!json.is_object()) throw RequestError(400, "the body must be a JSON object");
  PredictRequest request;
  if (task.is_pair()) {
    parse_pairs(json, request);
  } else {
    parse_single(json, request);
  }
  if (request.examples.size() > limits.max_texts) {
    throw RequestError(413, std::to_string(request.examples.size()) +
                                " texts in one request; at most " +
                                std::to_string(limits.max_texts) + " (see --max-texts)");
  }
  for (size_t i = 0; i < request.examples.size(); ++i) {
    const Example& e = request.examples[i];
    const size_t bytes = std::max(e.text_a.size(), e.text_b.size());
    if (bytes > limits.max_text_bytes) {
      throw RequestError(413, "text " + std::to_string(i) + " has " + std::to_string(bytes) +
                                  " bytes; at most " + std::to_string(limits.max_text_bytes) +
                                  " (see --max-text-bytes)");
    }
  }
  return request;
}

namespace {

// What GET /info answers: the model's description, the server's name and batching.
Json info_of(const StudentClassifier& model, const ServeOptions& options) {
  Json info = Json::parse(model.info_json());
  info.erase("model_type");
  info["name"] = "bert2bilstm";
  info["version"] = B2B_VERSION;
  info["max_batch"] = options.max_batch;
  info["max_wait_ms"] = options.max_wait_ms;
  return info;
}

}  // namespace

struct PredictionServer::Impl {
  Impl(std::shared_ptr<const StudentClassifier> m, const ServeOptions& o)
      : model(std::move(m)),
        options(o),
        batcher(
            [this](const std::vector<EncodedExample>& examples) {
              std::vector<float> logits(examples.size() * model->num_labels());
              model->logits(examples, logits.data());
              return logits;
            },
            {std::max<size_t>(o.max_batch, 1),
             std::chrono::microseconds(static_cast<int64_t>(o.max_wait_ms * 1000)),
             o.threads > 0 ? o.threads
                           : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))},
            [this](size_t sentences, double seconds) { metrics.batch(sentences, seconds); }),
        http(limits_of(o), hooks()) {}

  static HttpLimits limits_of(const ServeOptions& o) {
    HttpLimits limits;
    limits.max_body_bytes = o.max_body_bytes;
    limits.head_deadline = std::chrono::milliseconds(static_cast<int64_t>(o.head_seconds * 1000));
    limits.body_deadline = std::chrono::milliseconds(static_cast<int64_t>(o.body_seconds * 1000));
    limits.idle_limit = std::chrono::milliseconds(static_cast<int64_t>(o.idle_seconds * 1000));
    return limits;
  }
  HttpServer::Hooks hooks();
  void handle(HttpRequest request, const HttpServer::Respond& respond);
  void predict(const HttpRequest& request, const HttpServer::Respond& respond);
  HttpResponse metrics_page() const;

  std::shared_ptr<const StudentClassifier> model;
  ServeOptions options;
  // Before the batcher, which reports to it.
  ServerMetrics metrics{
      {"/predict", "/info", "/health", "/health/live", "/health/ready", "/metrics"}};
  MicroBatcher batcher;
  HttpServer http;
  std::string info_body;
  std::atomic<bool> stopping{false}, ready{false};
};

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

}  // namespace

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
    metrics.request(path, status, seconds);
    trim_free_memory();
  };
  h.client_active = [this] { batcher.client_connected(); };
  h.client_gone = [this] { batcher.client_disconnected(); };
  return h;
}

HttpResponse PredictionServer::Impl::metrics_page() const {
  const MicroBatcherStats s = batcher.stats();
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics.render({s.queued_sentences, http.open_connections(), s.sentences, s.batches});
  return r;
}

void PredictionServer::Impl::handle(HttpRequest request, const HttpServer::Respond& respond) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  auto only = [&](const char* method) {
    HttpResponse r =
        error_json(405, std::string(status_text(405)) + ": " + path + " takes " + method);
    r.headers.emplace_back("Allow", method);
    respond(std::move(r));
  };
  if (path == "/predict") {
    if (request.method != "POST") return only("POST");
    return predict(request, respond);
  }
  if (path == "/health" || path == "/health/live" || path == "/health/ready" || path == "/info" ||
      path == "/metrics") {
    if (!get) return only("GET");
    if (path == "/health") return respond(json_response(R"({"status":"ok"})"));
    if (path == "/health/live") return respond(json_response(R"({"status":"live"})"));
    if (path == "/info") return respond(json_response(info_body));
    if (path == "/metrics") return respond(metrics_page());
    if (stopping) return respond(error_json(503, "draining: this server is stopping"));
    if (!ready) return respond(error_json(503, "not ready: the model is warming up"));
    return respond(json_response(R"({"status":"ready"})"));
  }
  respond(error_json(404, status_text(404)));
}

void PredictionServer::Impl::predict(const HttpRequest& req, const HttpServer::Respond& respond) {
  try {
    if (!is_json_content_type(req.header("Content-Type")))
      throw RequestError(415, status_text(415));
    auto request = std::make_shared<PredictRequest>(
        parse_predict_request(req.body, model->config().task, options.limits));
    const size_t n = request->examples.size();
    std::vector<EncodedExample> encoded = model->encode(request->examples);
    // A text without words is read as one unknown word (as in training): the answer says so.
    auto wordless = std::make_shared<std::vector<bool>>(n);
    for (size_t i = 0; i < n; ++i) {
      auto lone_unknown = [](const std::vector<int64_t>& ids) {
        return ids.size() == 1 && ids[0] == Vocabulary::kUnk;
      };
      const Example& e = request->examples[i];
      (*wordless)[i] =
          (lone_unknown(encoded[i].a) && !model->has_words(e.text_a)) ||
          (model->is_pair() && lone_unknown(encoded[i].b) && !model->has_words(e.text_b));
    }
    batcher.submit(std::move(encoded), [this, request, wordless, respond](
                                           std::vector<float> logits, std::exception_ptr error) {
      if (error) {
        std::string message = "internal error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          message += std::string(": ") + e.what();
        } catch (...) {
        }
        return respond(error_json(500, message));
      }
      const size_t k = static_cast<size_t>(model->num_labels());
      auto prediction = [&](size_t i) {
        Json row = prediction_json(*model, logits.data() + i * k);
        if ((*wordless)[i]) row["warning"] = "no words in the text: read as one unknown word";
        return row;
      };
      Json answer;
      if (request->list) {
        answer["predictions"] = Json::array();
        for (size_t i = 0; i < request->examples.size(); ++i)
          answer["predictions"].push_back(prediction(i));
      } else {
        answer = prediction(0);
      }
      respond(json_response(dump(answer)));
    });
  } catch (const RequestError& e) {
    respond(error_json(e.status, e.what()));
  }
}

PredictionServer::PredictionServer(std::shared_ptr<const StudentClassifier> model,
                                   ServeOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), options)) {
  const StudentClassifier& m = *impl_->model;
  std::string labels;
  for (const auto& label : m.labels()) labels += (labels.empty() ? "" : ",") + label;
  impl_->metrics.set_model(
      {options.model_name, m.task(), labels,
       options.model_dir.empty() ? "" : model_directory_hash(options.model_dir),
       options.model_load_seconds});
  impl_->info_body = dump(info_of(m, impl_->options));
  // One forward pass before /health/ready says ready (the first pass pays for the pages of the
  // weights and the scratch space).
  Example warm;
  warm.text_a = warm.text_b = "warm";
  std::vector<float> logits(m.labels().size());
  m.logits(m.encode(std::vector<Example>{warm}), logits.data());
  impl_->ready = true;
}

PredictionServer::~PredictionServer() = default;

int PredictionServer::bind() {
  const auto& o = impl_->options;
  return impl_->http.bind(o.host, o.port);
}

void PredictionServer::listen() {
  const int threads = impl_->options.http_threads > 0
                          ? impl_->options.http_threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_->http.run(threads);
}

void PredictionServer::stop() {
  impl_->stopping = true;
  impl_->http.stop();
}

void PredictionServer::drain_then_stop(double seconds) {
  impl_->stopping = true;  // not ready from now on
  impl_->http.drain();
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop();
}

std::string PredictionServer::stats() const {
  const MicroBatcherStats s = impl_->batcher.stats();
  return std::to_string(s.requests) + " requests, " + std::to_string(s.sentences) +
         " sentences in " + std::to_string(s.batches) + " batches";
}

}  // namespace b2b
