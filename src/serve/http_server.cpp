#include "serve/http_server.h"

#include <sys/resource.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "util/error.h"

namespace b2b {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

// {"error": message}, for the core's own answers.
HttpResponse error_response(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", message}}.dump();
  return r;
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

// Beast's parse errors (bad_method, bad_target, bad_field, ...): the client sent something that
// is not HTTP/1.1. Its other codes say the stream ended or a limit was met.
bool malformed(const error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more && ec != http::error::need_buffer &&
         ec != http::error::short_read && ec != http::error::header_limit &&
         ec != http::error::body_limit && ec != http::error::buffer_overflow;
}

class Session;

}  // namespace

std::string HttpRequest::header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (beast::iequals(key, name)) return value;
  return "";
}

std::string HttpRequest::parameter(const std::string& name) const {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string item = query.substr(start, end - start);
    const size_t equals = item.find('=');
    if (item.substr(0, equals) == name)
      return equals == std::string::npos ? "" : item.substr(equals + 1);
    start = end + 1;
  }
  return "";
}

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(HttpLimits l, Hooks h)
      : limits(l),
        hooks(std::move(h)),
        acceptor(net::make_strand(ioc)),
        retry(acceptor.get_executor()) {}

  void accept();

  net::io_context ioc;
  HttpLimits limits;
  Hooks hooks;
  tcp::acceptor acceptor;
  net::steady_timer retry;  // after accept() fails for want of file descriptors
  bool refusal_said = false;
  std::atomic<bool> draining{false}, stopping{false};
  std::atomic<size_t> open{0};
  std::mutex mutex;
  std::map<Session*, std::weak_ptr<Session>> sessions;
};

namespace {

// One connection: reads a request, hands it to the handler, writes the answer, then reads the
// next (or closes). Every step runs on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
      : stream_(std::move(socket)),
        // The head and the body, and whatever a client pipelines behind them up to a head more.
        buffer_(server->limits.max_head_bytes * 2 + server->limits.max_body_bytes),
        server_(std::move(server)) {
    ++server_->open;
  }
  ~Session() {
    {
      std::lock_guard<std::mutex> lock(server_->mutex);
      server_->sessions.erase(this);
    }
    if (counted_ && server_->hooks.client_gone) server_->hooks.client_gone();
    --server_->open;
  }

  void start() {
    {
      std::lock_guard<std::mutex> lock(server_->mutex);
      server_->sessions.emplace(this, weak_from_this());
    }
    // Accepted while stopping (a stop() between accept and here found no session to tell, or
    // stop() took it from the kernel's queue): its request is read and answered, then it ends.
    if (server_->stopping) closing_ = true;
    stream_.expires_after(server_->limits.head_deadline);
    read_head();
  }

  net::any_io_executor executor() { return stream_.get_executor(); }

  // From stop(), on the strand: a kept-alive connection waiting between requests ends now;
  // every other finishes the request it is on (a head begun or not yet sent, within the head
  // deadline: the client may be about to send it), answered with `Connection: close`.
  void on_stop() {
    closing_ = true;
    if (between_requests_) stream_.close();
  }

 private:
  void read_head() {
    between_requests_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->limits.max_head_bytes));
    // No limit while the head is read (Beast would refuse a long Content-Length before the
    // head is whole, without a word): on_head refuses it with check_head's answer, then sets it.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, size_t) { self->on_head(ec); });
  }

  // Kept alive with nothing buffered: waits up to the idle limit for the next request's first
  // bytes, then gives its head the head deadline.
  void wait_for_request() {
    between_requests_ = true;
    stream_.expires_after(server_->limits.idle_limit);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              if (ec) return;  // closed, timed out or stopped: the session ends
                              self->buffer_.commit(n);
                              if (self->closing_) return;
                              self->stream_.expires_after(self->server_->limits.head_deadline);
                              self->read_head();
                            });
  }

  void on_head(error_code ec) {
    if (ec == http::error::header_limit) {
      return refuse(error_response(
          431, "request head over " + std::to_string(server_->limits.max_head_bytes) + " bytes"));
    }
    if (ec == http::error::buffer_overflow) {
      return refuse(error_response(400, "too much pipelined data before this request"));
    }
    if (malformed(ec)) return refuse(error_response(400, "malformed request: " + ec.message()));
    if (ec) return;  // closed by the client, timed out (the head deadline), or stopped
    head_end_ = Clock::now();
    const auto& message = parser_->get();
    path_.clear();
    request_ = HttpRequest{};
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    const size_t question = request_.target.find('?');
    request_.path = path_ = request_.target.substr(0, question);
    if (question != std::string::npos) request_.query = request_.target.substr(question + 1);
    for (const auto& field : message)
      request_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    if (server_->hooks.check_head) {
      std::optional<HttpResponse> refusal;
      try {
        refusal = server_->hooks.check_head(request_);
      } catch (const std::exception& e) {
        refusal = error_response(500, std::string("internal error: ") + e.what());
      }
      if (refusal) return refuse(std::move(*refusal));
    }
    const auto declared = parser_->content_length();
    if (declared && *declared > server_->limits.max_body_bytes) {
      return refuse(error_response(413, "request body of " + std::to_string(*declared) +
                                            " bytes; at most " +
                                            std::to_string(server_->limits.max_body_bytes)));
    }
    parser_->body_limit(server_->limits.max_body_bytes);
    if (parser_->is_done()) return dispatch();
    stream_.expires_after(server_->limits.body_deadline);
    if (version_ >= 11 && beast::iequals(request_.header("Expect"), "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue),
                       [self = shared_from_this()](error_code ec, size_t) {
                         if (!ec) self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
          if (ec == http::error::body_limit) {
            return self->refuse(error_response(
                413, "request body over " + std::to_string(self->server_->limits.max_body_bytes) +
                         " bytes"));
          }
          if (malformed(ec))
            return self->refuse(error_response(400, "malformed body: " + ec.message()));
          if (ec) return;  // closed, timed out (the body deadline) or stopped
          self->dispatch();
        });
  }

  void dispatch() {
    request_.body = std::move(parser_->get().body());
    parser_.reset();
    if (!counted_) {
      counted_ = true;
      if (server_->hooks.client_active) server_->hooks.client_active();
    }
    // The loop must not end while an answer is being computed elsewhere: the guard holds it.
    auto guard = std::make_shared<net::executor_work_guard<net::io_context::executor_type>>(
        server_->ioc.get_executor());
    auto answered = std::make_shared<std::atomic<bool>>(false);
    HttpServer::Respond respond = [self = shared_from_this(), guard,
                                   answered](HttpResponse response) {
      if (answered->exchange(true)) return;
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->write(std::move(response), false);
      });
    };
    path_ = request_.path;  // the request itself goes to the handler
    try {
      server_->hooks.handle(std::move(request_), respond);
    } catch (const std::exception& e) {
      respond(error_response(500, std::string("internal error: ") + e.what()));
    }
  }

  // An answer the core gives itself, or a head refused: written, then the connection closes
  // (what follows on it cannot be trusted to be a request).
  void refuse(HttpResponse response) {
    if (head_end_ == Clock::time_point{}) head_end_ = Clock::now();
    write(std::move(response), true);
  }

  void write(HttpResponse r, bool close) {
    close = close || closing_ || !keep_alive_ || server_->draining || server_->stopping;
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(r.status));
    response_.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) response_.set(name, value);
    response_.body() = std::move(r.body);
    response_.keep_alive(!close);
    response_.prepare_payload();
    status_ = r.status;
    stream_.expires_after(server_->limits.body_deadline);
    http::async_write(
        stream_, response_,
        [self = shared_from_this(), close](error_code ec, size_t) { self->on_written(ec, close); });
  }

  void on_written(error_code ec, bool close) {
    if (server_->hooks.answered) {
      const double seconds = std::chrono::duration<double>(Clock::now() - head_end_).count();
      try {
        server_->hooks.answered(path_, status_, seconds);
      } catch (const std::exception&) {
      }
    }
    head_end_ = {};
    path_.clear();
    request_ = HttpRequest{};
    response_ = {};
    if (ec || close || closing_) return linger();
    if (buffer_.size() > 0) {  // pipelined: the next head is (partly) here already
      stream_.expires_after(server_->limits.head_deadline);
      read_head();
    } else {
      wait_for_request();
    }
  }

  // Closes the sending side, then reads (and drops) what the client still sends, until it
  // closes too or a second passes: closing with unread bytes would reset the connection and
  // could destroy the answer before the client read it (a refused head, a body not read).
  void linger() {
    between_requests_ = true;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    buffer_.clear();
    drain();
  }
  void drain() {
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](error_code ec, size_t) {
                              if (!ec) self->drain();  // the session ends with the read
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Impl> server_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool between_requests_ = false;  // kept alive, waiting for a request's first byte
  HttpRequest request_;
  std::string path_;  // the request's, for `answered`
  http::response<http::string_body> response_;
  Clock::time_point head_end_{};
  unsigned version_ = 11;
  int status_ = 0;
  bool keep_alive_ = true, counted_ = false, closing_ = false;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(
      net::make_strand(ioc), [self = shared_from_this()](error_code ec, tcp::socket socket) {
        if (!ec) {  // even once stopped: the client has connected, and is answered
          error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          std::make_shared<Session>(std::move(socket), self)->start();
        }
        if (!self->acceptor.is_open()) return;  // stopped
        if (ec) {
          // Out of file descriptors (or kernel memory): the waiting connections stay queued until
          // one closes; tried again in 50 ms rather than in a busy loop. Said once.
          if (!self->refusal_said) {
            self->refusal_said = true;
            warn("serve: cannot accept a connection (" + ec.message() + " at " +
                 std::to_string(self->open.load()) + " open); retrying");
          }
          self->retry.expires_after(std::chrono::milliseconds(50));
          self->retry.async_wait([self](error_code e) {
            if (!e && self->acceptor.is_open()) self->accept();
          });
          return;
        }
        self->accept();
      });
}

HttpServer::HttpServer(HttpLimits limits, Hooks hooks)
    : impl_(std::make_shared<Impl>(limits, std::move(hooks))) {}

HttpServer::~HttpServer() {
  stop();
  // Runs what stop() posted (closing the socket) if run() never ran: the posted handlers hold
  // the loop's state, which holds them.
  impl_->ioc.restart();
  impl_->ioc.poll();
  impl_->ioc.stop();
}

int HttpServer::bind(const std::string& host, int port) {
  raise_open_file_limit();
  auto fail = [&](const std::string& why) {
    return Error("serve: cannot listen on " + host + ":" + std::to_string(port) + " (" + why + ")");
  };
  error_code ec;
  tcp::resolver resolver(impl_->ioc);
  const auto found = resolver.resolve(host, std::to_string(port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || found.empty()) throw fail("not an address of this machine: " + ec.message());
  const tcp::endpoint endpoint = found.begin()->endpoint();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.close();
    throw fail(ec.message());
  }
  return acceptor.local_endpoint().port();
}

void HttpServer::run(int threads) {
  if (!impl_->acceptor.is_open()) throw Error("serve: run() before bind()");
  if (!impl_->stopping) impl_->accept();
  std::vector<std::thread> others;
  for (int t = 1; t < threads; ++t) others.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : others) t.join();
}

void HttpServer::drain() { impl_->draining = true; }

void HttpServer::stop() {
  // Its own hold on the loop's state: once the last handler has run, run() returns on another
  // thread and this server may be destroyed while this function is still letting go of the
  // connections it told (their strands live in the loop's io_context).
  const std::shared_ptr<Impl> impl = impl_;
  if (impl->stopping.exchange(true)) return;
  // The connections first, the listening socket last: until it closes, run() cannot return.
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    for (auto& [raw, weak] : impl->sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) net::post(s->executor(), [s] { s->on_stop(); });
  live.clear();
  net::post(impl->acceptor.get_executor(), [impl] {
    // The connections the kernel has completed but the loop not yet taken: their clients have
    // connected and may have sent a request, which closing the socket would reset. Taken now
    // (each answered once, then closed), then the socket closes.
    error_code ec;
    impl->acceptor.non_blocking(true, ec);
    while (!ec) {
      tcp::socket socket(net::make_strand(impl->ioc));
      impl->acceptor.accept(socket, ec);
      if (!ec) std::make_shared<Session>(std::move(socket), impl)->start();
    }
    error_code ignored;
    impl->acceptor.close(ignored);
    impl->retry.cancel();
  });
}

size_t HttpServer::open_connections() const { return impl_->open.load(); }

}  // namespace b2b
