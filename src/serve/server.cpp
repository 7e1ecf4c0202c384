#include "serve/server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "api/prediction_json.h"
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

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(dump(Json{{"error", message}}), "application/json");
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

// How long the kernel holds a connection that has sent nothing before handing it to the
// server: httplib's read timeout, the longest the server would wait for its first byte anyway.
constexpr int kDeferAcceptSeconds = 5;

// Two settings of the listening socket that cpp-httplib 0.11 (compiled into Debian's library)
// does not offer; the socket is found by port and set after httplib bound it.
// - The backlog: httplib listens with 5, so a burst of new connections overflows it and the
//   kernel drops handshakes, which clients retry a second later. Listening again raises it.
// - TCP_DEFER_ACCEPT: a connection reaches accept() only once its first bytes arrive. Each
//   accepted connection holds a thread, and httplib waits for a request by polling every 11 ms,
//   so a thousand connections that send nothing used to hold a thousand threads waking 90,000
//   times a second; where the system caps threads (a container's pids limit) they also took
//   every thread there was, and a real client waited behind them past 5 s (seen in CI). Now
//   they wait in the kernel, and a silent one that outlives the delay is served and timed out
//   like any other.
void tune_listening_socket(int port) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    int listening = 0;
    socklen_t length = sizeof listening;
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) != 0)
      continue;
    const int bound = address.ss_family == AF_INET6
                          ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
                          : ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    if (bound != port) continue;
    ::listen(fd, SOMAXCONN);
#ifdef TCP_DEFER_ACCEPT  // Linux
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &kDeferAcceptSeconds, sizeof kDeferAcceptSeconds);
#endif
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
            [this](size_t sentences, double seconds) { metrics.batch(sentences, seconds); }) {}

  void predict(const httplib::Request& req, httplib::Response& res);
  void route();

  std::shared_ptr<const StudentClassifier> model;
  ServeOptions options;
  // Before the batcher, which reports to it.
  ServerMetrics metrics{
      {"/predict", "/info", "/health", "/health/live", "/health/ready", "/metrics"}};
  MicroBatcher batcher;
  httplib::Server http;
  std::atomic<bool> stopping{false}, ready{false};
};

// When the request a connection thread is answering began (its head read): set before
// routing, read by the logger that counts the answer.
thread_local std::chrono::steady_clock::time_point request_start;

// Gives the allocator's free pages back to the system, at most once a second, from whichever
// connection thread gets here. glibc keeps what each thread's arena freed: under 64 clients
// mixed with malformed requests, after a thousand idle connections, the server's resident
// memory crept from 84 to 106 MB in 60 s while heaptrack counted a peak of 38 MB in use and
// nothing leaked (tests/lib/test_serve_abuse.cpp). Trimmed, it crept from 61 to 84 MB; trimmed
// with the arenas capped (cli/cmd_serve.cpp), it held 39-49 MB.
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

// httplib runs each connection (its kept-alive requests) as one task on a thread of this
// pool. A connection that stalls holds its thread until httplib's read timeout, so a
// fixed pool lets a few hundred idle connections (a slowloris client) starve everyone else:
// this pool starts a thread for each connection it cannot give to an idle one, up to `limit`
// threads (then connections wait their turn), and a thread left idle for kIdleSeconds ends
// (after 1,000 idle connections the server held 157 MB instead of 55). It also counts the
// running connections for the batcher: how many clients may be sending.
class ConnectionPool : public httplib::TaskQueue {
 public:
  ConnectionPool(size_t limit, MicroBatcher& batcher) : limit_(limit), batcher_(batcher) {}
  ~ConnectionPool() override { shutdown(); }

  void enqueue(std::function<void()> connection) override {
    std::unique_lock<std::mutex> lock(mutex_);
    waiting_.push_back(std::move(connection));
    if (waiting_.size() > idle_ && running_ < limit_) {
      try {
        std::thread([this] { work(); }).detach();
        ++running_;
      } catch (const std::system_error& e) {
        // No more threads from the system: the connection waits for a running one. Said once,
        // since it is what makes clients wait.
        if (!refused_) {
          refused_ = true;
          warn("serve: the system refused a thread at " + std::to_string(running_) +
               " connections (" + e.what() + "); new connections wait for a free one");
        }
      }
    }
    lock.unlock();
    ready_.notify_one();
  }

  void shutdown() override {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_ = true;
    ready_.notify_all();
    ended_.wait(lock, [this] { return running_ == 0; });
  }

 private:
  static constexpr int kIdleSeconds = 10;

  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      const bool woken = ready_.wait_for(lock, std::chrono::seconds(kIdleSeconds),
                                         [this] { return stopping_ || !waiting_.empty(); });
      --idle_;
      if (!woken || waiting_.empty()) break;  // idle too long, or stopping with nothing left
      std::function<void()> connection = std::move(waiting_.front());
      waiting_.pop_front();
      lock.unlock();
      batcher_.client_connected();
      connection();
      batcher_.client_disconnected();
      trim_free_memory();
      lock.lock();
    }
    --running_;
    // Wakes shutdown() only once this thread no longer touches the pool.
    std::notify_all_at_thread_exit(ended_, std::move(lock));
  }

  const size_t limit_;
  MicroBatcher& batcher_;
  std::mutex mutex_;
  std::condition_variable ready_, ended_;
  std::deque<std::function<void()>> waiting_;
  size_t running_ = 0, idle_ = 0;
  bool stopping_ = false, refused_ = false;
};

// Refuses a /predict body before httplib reads it: a declared length over the limit (413) and
// bodies without a length (chunked: 411), whose size is known only once read.
bool refuse_body_early(const httplib::Request& req, httplib::Response& res, size_t max_bytes) {
  if (req.method != "POST") return false;
  if (req.has_header("Transfer-Encoding")) {
    send_error(res, 411, "send the body with a Content-Length (chunked bodies are not read)");
  } else if (const std::string length = req.get_header_value("Content-Length");
             length.find_first_not_of("0123456789") != std::string::npos) {
    send_error(res, 400, "Content-Length is not a number");
  } else if (length.size() > 18 || (!length.empty() && std::stoull(length) > max_bytes)) {
    send_error(res, 413,
               "request body of " + length + " bytes; at most " + std::to_string(max_bytes) +
                   " (see --max-body-bytes)");
  } else {
    return false;
  }
  res.set_header("Connection", "close");
  return true;
}

// More connections than the default limit of open files (often 1,024) need a higher one: the
// soft limit goes up to the hard limit.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void PredictionServer::Impl::predict(const httplib::Request& req, httplib::Response& res) {
  try {
    if (!is_json_content_type(req.get_header_value("Content-Type")))
      throw RequestError(415, status_text(415));
    PredictRequest request = parse_predict_request(req.body, model->config().task, options.limits);
    const size_t n = request.examples.size();
    std::vector<EncodedExample> encoded = model->encode(request.examples);
    // A text without words is read as one unknown word (as in training): the answer says so.
    std::vector<bool> wordless(n);
    for (size_t i = 0; i < n; ++i) {
      auto lone_unknown = [](const std::vector<int64_t>& ids) {
        return ids.size() == 1 && ids[0] == Vocabulary::kUnk;
      };
      const Example& e = request.examples[i];
      wordless[i] = (lone_unknown(encoded[i].a) && !model->has_words(e.text_a)) ||
                    (model->is_pair() && lone_unknown(encoded[i].b) && !model->has_words(e.text_b));
    }
    const std::vector<float> logits = batcher.submit(std::move(encoded));
    const size_t k = static_cast<size_t>(model->num_labels());
    Json answer;
    auto prediction = [&](size_t i) {
      Json row = prediction_json(*model, logits.data() + i * k);
      if (wordless[i]) row["warning"] = "no words in the text: read as one unknown word";
      return row;
    };
    if (request.list) {
      answer["predictions"] = Json::array();
      for (size_t i = 0; i < n; ++i) answer["predictions"].push_back(prediction(i));
    } else {
      answer = prediction(0);
    }
    res.set_content(dump(answer), "application/json");
  } catch (const RequestError& e) {
    send_error(res, e.status, e.what());
  }
}

void PredictionServer::Impl::route() {
  const size_t threads = options.http_threads > 0 ? options.http_threads : 4096;
  http.new_task_queue = [this, threads] { return new ConnectionPool(threads, batcher); };
  http.set_payload_max_length(options.max_body_bytes);
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    request_start = std::chrono::steady_clock::now();
    return refuse_body_early(req, res, options.max_body_bytes)
               ? httplib::Server::HandlerResponse::Handled
               : httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_keep_alive_max_count(1000);
  http.set_tcp_nodelay(true);
  http.Post("/predict",
            [this](const httplib::Request& req, httplib::Response& res) { predict(req, res); });
  http.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  http.Get("/health/live", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"live"})", "application/json");
  });
  http.Get("/health/ready", [this](const httplib::Request&, httplib::Response& res) {
    if (stopping) {
      send_error(res, 503, "draining: this server is stopping");
    } else if (!ready) {
      send_error(res, 503, "not ready: the model is warming up");
    } else {
      res.set_content(R"({"status":"ready"})", "application/json");
    }
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const MicroBatcherStats s = batcher.stats();
    res.set_content(metrics.render({s.queued_sentences, s.clients, s.sentences, s.batches}),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  // Every answer counted by route template and status, with its time (0 for one the library
  // refused before routing, a malformed request line say: its start was never taken).
  http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const auto start = request_start;
    request_start = {};
    const double seconds =
        start == std::chrono::steady_clock::time_point{}
            ? 0.0
            : std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics.request(req.path, res.status, seconds);
  });
  const std::string info_body = dump(info_of(*model, options));
  http.Get("/info", [info_body](const httplib::Request&, httplib::Response& res) {
    res.set_content(info_body, "application/json");
  });
  // Statuses the library sets itself (404, 413, ...) get a JSON body too.
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) send_error(res, res.status, status_text(res.status));
  });
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string message = "internal error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          message += std::string(": ") + e.what();
        } catch (...) {
        }
        send_error(res, 500, message);
      });
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
  impl_->route();
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
  raise_open_file_limit();
  const int port = o.port == 0 ? impl_->http.bind_to_any_port(o.host)
                               : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port > 0) tune_listening_socket(port);
  if (port <= 0) {
    throw Error("serve: cannot listen on " + o.host + ":" + std::to_string(o.port) +
                " (port in use, or not an address of this machine)");
  }
  return port;
}

void PredictionServer::listen() {
  if (!impl_->stopping) impl_->http.listen_after_bind();
}

void PredictionServer::stop() {
  impl_->stopping = true;
  impl_->http.stop();
}

std::string PredictionServer::stats() const {
  const MicroBatcherStats s = impl_->batcher.stats();
  return std::to_string(s.requests) + " requests, " + std::to_string(s.sentences) +
         " sentences in " + std::to_string(s.batches) + " batches";
}

}  // namespace b2b
