#pragma once
// The server's HTTP/1.1 core: an event loop (Boost.Asio's epoll reactor, Boost.Beast's
// parser) on a few threads. A connection costs a socket, a small buffer and a parser while it
// is idle, slow or half-sent, never a thread; deadlines end the ones that do not finish:
//   - the request head (request line and headers) must arrive whole within `head_deadline` of
//     its first byte (of the connection's start, for its first request): a client that sends a
//     byte a second is cut off like one that sends nothing;
//   - the body within `body_deadline` of the head's end, the answer written within it too;
//   - a kept-alive connection may wait `idle_limit` between requests.
// Requests on one connection are answered one at a time, in order (pipelined requests wait in
// the connection's buffer). The handler runs on a loop thread and answers through `Respond`,
// from any thread, once: the prediction routes hand their request to the micro-batcher and
// answer from its worker.
//
// Usage: HttpServer server(limits, hooks); server.bind(host, port); server.run(threads) (blocks
// until stop() and every connection has ended). From any thread: drain() keeps serving but
// answers with `Connection: close`, so that clients reconnect (elsewhere, once a load balancer
// has taken this server out); stop() stops accepting, closes the kept-alive connections that
// wait between requests, and lets every other one finish the request it is on (a head already
// begun, within its deadline), answered with `Connection: close`.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace b2b {

struct HttpRequest {
  std::string method, target;
  std::string path, query;  // the target split at '?'
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A header's value, the name compared without case; "" when absent.
  std::string header(const std::string& name) const;
  // A query parameter's value (not percent-decoded); "" when absent.
  std::string parameter(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beside Content-Type and -Length
};

struct HttpLimits {
  std::chrono::milliseconds head_deadline{5000};
  std::chrono::milliseconds body_deadline{30000};
  std::chrono::milliseconds idle_limit{5000};
  size_t max_head_bytes = 16 * 1024;  // more gets 431
  size_t max_body_bytes = 1 << 20;    // more gets 413 (see HttpHooks::check_head)
};

class HttpServer {
 public:
  using Respond = std::function<void(HttpResponse)>;
  struct Hooks {
    // Every whole request. Must call respond exactly once (from any thread).
    std::function<void(HttpRequest request, Respond respond)> handle;
    // Once the head is read, before the body: an answer refuses the request unread (the
    // connection closes after it). Empty: every head is read on.
    std::function<std::optional<HttpResponse>(const HttpRequest& head)> check_head;
    // Every answer written, the core's own too (400 for a malformed head, 431, ...), with the
    // seconds from the head's first byte; `path` is "" where the head could not be read.
    std::function<void(const std::string& path, int status, double seconds)> answered;
    // A connection that has sent a whole request, and its end: the clients the micro-batcher
    // may wait for.
    std::function<void()> client_active, client_gone;
  };

  HttpServer(HttpLimits limits, Hooks hooks);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (0: a free port) and returns the port; throws Error when it cannot.
  int bind(const std::string& host, int port);
  // Runs the loop on `threads` threads (this one among them) until stop() has taken effect and
  // every connection has ended.
  void run(int threads);
  void drain();
  void stop();
  size_t open_connections() const;

  struct Impl;  // the loop's state, shared with its connections (http_server.cpp)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace b2b
