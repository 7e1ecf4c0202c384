// The server under abuse, against the real `bert2bilstm-serve` on a loopback port: idle
// connections (slowloris), oversized and length-less bodies, deeply nested JSON, huge lists,
// very long texts, invalid UTF-8, and a minute of load with malformed requests mixed in.
// The suite runs as one process (one ctest): one student, one server for all of it.
#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "random_student.h"
#include "server_process.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A plain TCP connection to the server, for what an HTTP client library would not send.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      if (fd_ >= 0) close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool ok() const { return fd_ >= 0; }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Whether the server has closed its end (a read would see the end of the stream or a reset).
  bool closed_by_peer() {
    char c;
    const ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
  // What the server sends until it closes or `seconds` pass.
  std::string receive(int seconds) {
    timeval timeout{seconds, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = recv(fd_, buffer, sizeof buffer, 0)) > 0;) {
      out.append(buffer, static_cast<size_t>(n));
      if (out.find("\r\n\r\n") != std::string::npos && out.find("}") != std::string::npos) break;
    }
    return out;
  }

 private:
  int fd_ = -1;
};

size_t resident_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

// Lets this process hold `needed` sockets; false when the system allows fewer.
bool allow_open_files(rlim_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur < needed) {
    limit.rlim_cur = std::min(limit.rlim_max, needed);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  return getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= needed;
}

class ServeAbuseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    // What is served does not matter here, only that it is served: a random student.
    test::write_random_student(dir_->path("student"), false, EmbeddingMode::kRand);
    // Two event-loop threads: the idle-connection test below must not need a thread per
    // connection (a container's pids limit caps threads).
    server_ = new test::ServerProcess(
        "--model " + dir_->path("student") + " --threads 1 --http-threads 2", B2B_SERVE_BINARY);
    ASSERT_GT(server_->port(), 0) << "bert2bilstm-serve did not print its port";
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override {
    if (!server_ || server_->port() <= 0) GTEST_SKIP() << "the server did not start";
  }
  static int port() { return server_->port(); }
  static httplib::Result post(const std::string& body,
                              const std::string& type = "application/json") {
    httplib::Client client("127.0.0.1", port());
    client.set_read_timeout(30, 0);
    return client.Post("/predict", body, type);
  }

  static test::TempDir* dir_;
  static test::ServerProcess* server_;
};
test::TempDir* ServeAbuseTest::dir_ = nullptr;
test::ServerProcess* ServeAbuseTest::server_ = nullptr;

void expect_status(const httplib::Result& result, int status, const std::string& needle = "") {
  ASSERT_TRUE(result) << "no answer (" << httplib::to_string(result.error()) << ")";
  EXPECT_EQ(result->status, status) << result->body.substr(0, 300);
  const Json body = Json::parse(result->body, nullptr, false);
  ASSERT_TRUE(body.is_object() && body.contains("error")) << result->body.substr(0, 300);
  EXPECT_NE(body["error"].get<std::string>().find(needle), std::string::npos) << body["error"];
}

// The kernel's queue of connections not yet accepted (net.core.somaxconn): the silent
// connections wait there, so the test opens no more than it holds.
size_t pending_connection_limit() {
  std::ifstream in("/proc/sys/net/core/somaxconn");
  size_t limit = 0;
  return in >> limit ? limit : 128;
}

TEST_F(ServeAbuseTest, AThousandIdleConnectionsDoNotKeepOthersWaiting) {
  if (!allow_open_files(1200)) GTEST_SKIP() << "this system allows fewer than 1,200 open files";
  // 100 connections start a request and never finish its headers: each holds a thread until
  // the read timeout. The rest send nothing at all: they must not hold threads, or the
  // server's 256 would all be taken and the clients below would wait behind them.
  const int half_sent = 100;
  const int silent = static_cast<int>(std::min<size_t>(900, pending_connection_limit() * 3 / 4));
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < half_sent + silent; ++i) {
    idle.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(idle.back()->ok()) << "connection " << i;
    if (i < half_sent) idle.back()->send("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Ty");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // all accepted by now
  // Starvation, not speed: a server whose threads all sat on idle connections would leave
  // these requests unanswered, so each must be answered within 5 s. How fast they are answered
  // is printed, not asserted (timing limits belong to benchmarks, not tests).
  std::vector<double> latencies;
  for (int i = 0; i < 5; ++i) {
    httplib::Client client("127.0.0.1", port());
    client.set_read_timeout(5, 0);
    const auto start = Clock::now();
    const auto answer =
        client.Post("/predict", R"({"text": "a gripping film"})", "application/json");
    latencies.push_back(ms_since(start));
    ASSERT_TRUE(answer) << "no answer within 5 s beside " << idle.size() << " idle connections ("
                        << httplib::to_string(answer.error()) << ")";
    EXPECT_EQ(answer->status, 200) << answer->body;
  }
  std::sort(latencies.begin(), latencies.end());
  std::printf("median answer beside %zu idle connections: %.1f ms\n", idle.size(), latencies[2]);
}

// Sends `request` on a fresh connection and returns what the server answers within 5 s.
std::string raw_exchange(int port, const std::string& request) {
  RawConnection connection(port);
  if (!connection.ok() || !connection.send(request)) return "(no connection)";
  return connection.receive(5);
}

const char* const kPostHeaders =
    "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

TEST_F(ServeAbuseTest, AHundredMegabyteBodyIsRefusedBeforeItIsSent) {
  // Only the headers: the answer must come without a byte of the body.
  const std::string answer =
      raw_exchange(port(), std::string(kPostHeaders) + "Content-Length: 100000000\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("at most 1048576"), std::string::npos) << answer;
}

TEST_F(ServeAbuseTest, ABodyWithoutALengthIsRefused) {
  const std::string answer =
      raw_exchange(port(), std::string(kPostHeaders) +
                               "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"text\": \"good\"}\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 411", 0), 0u) << answer;
}

// Requests pipelined on one connection (all sent before any answer is read) are answered one
// each, in the order sent.
TEST_F(ServeAbuseTest, PipelinedRequestsAreAnsweredInOrder) {
  auto predict = [](const std::string& text) {
    const std::string body = Json{{"text", text}}.dump();
    return std::string(kPostHeaders) + "Content-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  RawConnection connection(port());
  ASSERT_TRUE(connection.ok());
  const std::string texts[] = {"good", "a bad film", "film"};
  ASSERT_TRUE(connection.send(predict(texts[0]) + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
                              predict(texts[1]) + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n" +
                              predict(texts[2])));
  // Each answer alone, for comparison: the same logits, in the same places.
  std::vector<Json> alone;
  for (const auto& text : texts)
    alone.push_back(Json::parse(post(Json{{"text", text}}.dump())->body));
  std::string stream;
  for (int i = 0; i < 50 && std::count(stream.begin(), stream.end(), '}') < 5; ++i)
    stream += connection.receive(1);
  std::vector<std::pair<int, std::string>> answers;  // status, body
  size_t at = 0;
  while (at < stream.size()) {
    const size_t head_end = stream.find("\r\n\r\n", at);
    if (head_end == std::string::npos) break;
    const std::string head = stream.substr(at, head_end - at);
    const size_t length_at = head.find("Content-Length: ");
    ASSERT_NE(length_at, std::string::npos) << head;
    const size_t length = std::stoul(head.substr(length_at + 16));
    answers.emplace_back(std::stoi(head.substr(9, 3)), stream.substr(head_end + 4, length));
    at = head_end + 4 + length;
  }
  ASSERT_EQ(answers.size(), 5u) << stream;
  EXPECT_EQ(answers[0].first, 200);
  EXPECT_EQ(Json::parse(answers[0].second)["logits"], alone[0]["logits"]);
  EXPECT_EQ(answers[1].second, R"({"status":"ok"})");
  EXPECT_EQ(Json::parse(answers[2].second)["logits"], alone[1]["logits"]);
  EXPECT_EQ(answers[3].first, 404);
  EXPECT_EQ(Json::parse(answers[4].second)["logits"], alone[2]["logits"]);
}

TEST_F(ServeAbuseTest, HostileBodiesGetClientErrors) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  expect_status(post(deep), 400, "must be a JSON object");
  expect_status(post("{\"text\": " + deep + "}"), 400, "must be a string");
  const std::string deep_objects = [] {
    std::string s;
    for (int i = 0; i < 100000; ++i) s += "{\"a\":";
    return s + "1" + std::string(100000, '}');
  }();
  expect_status(post(deep_objects), 400, "missing field");
  expect_status(post(std::string(100000, '[')), 400, "invalid JSON");

  Json many = {{"texts", Json::array()}};
  for (int i = 0; i < 100000; ++i) many["texts"].push_back("a");
  expect_status(post(many.dump()), 413, "100000 texts in one request; at most 1000");

  std::string long_text;
  while (long_text.size() < 1000000) long_text += "word ";
  expect_status(post(Json{{"text", long_text}}.dump()), 413, "at most 100000");
  expect_status(post(Json{{"texts", {"fine", long_text}}}.dump()), 413, "text 1 has");

  expect_status(post("{\"text\": \"caf\xc3\"}"), 400, "not valid UTF-8");
  expect_status(post("{\"text\": \"\xed\xa0\x80\"}"), 400, "not valid UTF-8");  // a surrogate
  expect_status(post(R"({"text": "\ud800"})"), 400, "invalid JSON");            // a lone escape
  expect_status(post("\xef\xbb\xbf{\"text\": 1}"), 400, "");

  // Still answering.
  const auto fine = post(R"({"text": "a gripping film"})");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

TEST_F(ServeAbuseTest, LoadWithMalformedRequestsMixedInGetsNo5xxAndMemoryStaysFlat) {
  const char* env = std::getenv("B2B_ABUSE_SECONDS");
  const int seconds = env ? std::max(5, std::atoi(env)) : 60;
  const std::vector<std::pair<std::string, std::string>> malformed = {
      {"{\"text\": ", "application/json"},
      {R"({"text": 5})", "application/json"},
      {R"({"texts": []})", "application/json"},
      {"{\"text\": \"\xff\xfe\"}", "application/json"},
      {R"({"text": "x"})", "text/plain"},
      {R"(["a", "b"])", "application/json"},
      {std::string(20000, '[') + std::string(20000, ']'), "application/json"},
  };
  const std::vector<std::string> sentences = {"a gripping , funny and moving film",
                                              "dull , lifeless and far too long", "", "not bad"};
  std::atomic<bool> stop{false};
  std::atomic<size_t> answered{0}, server_errors{0}, failures{0}, refused{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 64; ++t) {
    clients.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", port());
      client.set_read_timeout(30, 0);
      for (size_t i = t; !stop; ++i) {
        auto request = [&]() -> httplib::Result {
          if (i % 4 == 3) {
            const auto& [body, type] = malformed[(i / 4) % malformed.size()];
            return client.Post("/predict", body, type);
          }
          if (i % 16 == 1)
            return client.Post("/predict", Json{{"texts", sentences}}.dump(), "application/json");
          return client.Post("/predict", Json{{"text", sentences[i % sentences.size()]}}.dump(),
                             "application/json");
        };
        const httplib::Result result = request();
        if (!result) {
          ++failures;
          continue;
        }
        ++answered;
        if (result->status >= 500) ++server_errors;
        if (result->status >= 400 && result->status < 500) ++refused;
      }
    });
  }
  std::vector<size_t> rss;  // one sample a second
  for (int s = 0; s < seconds; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss.push_back(resident_kb(server_->pid()));
  }
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(server_errors, 0u);
  EXPECT_EQ(failures, 0u) << "requests without an answer";
  EXPECT_GT(answered, 1000u);
  EXPECT_GT(refused, answered / 8);  // the malformed quarter got 4xx
  // Flat: the last seconds hold no more than 10% (and at least 12 MB) over the largest sample of
  // the early ones (after the first allocations of 64 connections). The floor is the
  // allocator's noise, not ours: the server trims its free pages once a second and holds about
  // 40 MB here, moving by 3-7 MB from second to second and over the minute (heaptrack counted
  // no leak); 12 MB over a minute of ~6,000 answers a second still catches a leak of a few
  // dozen bytes per request.
  const size_t early =
      *std::max_element(rss.begin() + 2, rss.begin() + std::min<size_t>(rss.size(), 10));
  const size_t late = *std::max_element(rss.end() - 3, rss.end());
  const size_t margin = std::max<size_t>(early / 10, 12 * 1024);
  std::string trace;
  for (size_t kb : rss) trace += std::to_string(kb / 1024) + " ";
#ifdef B2B_SANITIZED
  // AddressSanitizer keeps freed memory in quarantine and a cache per thread (the idle test
  // left a thousand threads): its resident set says nothing about ours.
  (void)late;
  (void)early;
  (void)margin;
#else
  EXPECT_LE(late, early + margin) << "resident MB, one sample a second: " << trace;
#endif
  std::printf("%zu answers in %d s (%zu refused with 4xx); resident MB each second: %s\n",
              answered.load(), seconds, refused.load(), trace.c_str());
}

// The threads of a process, from /proc.
size_t thread_count(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoul(line.substr(8));
  return 0;
}

// A sample of GET /metrics, by its exact series name ("" when absent).
double metric(int port, const std::string& series) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  const auto page = client.Get("/metrics");
  if (!page || page->status != 200) return -1;
  std::istringstream in(page->body);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return -1;
}

// Connections that cost memory, not threads: a server of its own, its head deadline raised
// from 5 to 10 s so that 10,000 connections stay open while they are counted and the clients
// measured (opening them takes a few seconds here), then left to expire.
TEST(ServeConnectionsTest, TenThousandHalfSentHeadsHoldNoThreadsAndExpireAtTheHeadDeadline) {
  constexpr int kHalfSent = 10000;
  if (!allow_open_files(kHalfSent + 1000))
    GTEST_SKIP() << "this system allows fewer than " << kHalfSent + 1000 << " open files";
  test::TempDir dir;
  test::write_random_student(dir.path("student"), false, EmbeddingMode::kRand);
  test::ServerProcess server("--model " + dir.path("student") + " --threads 1 --head-timeout 10",
                             B2B_SERVE_BINARY);
  ASSERT_GT(server.port(), 0);
  const auto opened = Clock::now();
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < kHalfSent; ++i) {
    idle.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(idle.back()->ok()) << "connection " << i;
    ASSERT_TRUE(idle.back()->send("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Ty"));
  }
  const double open_seconds = ms_since(opened) / 1000;
  // All accepted and registered (the kernel's queue holds at most somaxconn of them).
  double open_now = 0;
  for (int i = 0; i < 50 && open_now < kHalfSent; ++i) {
    open_now = metric(server.port(), "bert2bilstm_open_connections");
    if (open_now < kHalfSent) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(open_now, kHalfSent) << "open connections seen by the server";

  // 1,000 requests from 8 kept-alive clients, beside them.
  std::vector<double> latencies;
  std::mutex mutex;
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", server.port());
      client.set_keep_alive(true);
      // The head and the body leave in two writes: without TCP_NODELAY, Nagle holds the body
      // until the head is acknowledged, and the kernel delays that ACK by 40 ms.
      client.set_tcp_nodelay(true);
      client.set_read_timeout(10, 0);
      for (int i = 0; i < 125; ++i) {
        const auto start = Clock::now();
        const auto answer =
            client.Post("/predict", R"({"text": "a gripping film"})", "application/json");
        const double ms = ms_since(start);
        if (!answer || answer->status != 200) ++failed;
        std::lock_guard<std::mutex> lock(mutex);
        latencies.push_back(ms);
      }
    });
  }
  for (auto& c : clients) c.join();
  const size_t threads = thread_count(server.pid());
  const size_t resident_mb = resident_kb(server.pid()) / 1024;
  const double still_open = metric(server.port(), "bert2bilstm_open_connections");
  EXPECT_EQ(failed, 0);
  EXPECT_GE(still_open, kHalfSent) << "the half-sent connections closed before the measurement";
  EXPECT_LE(threads, 64u);
#ifndef B2B_SANITIZED  // AddressSanitizer's shadow memory and quarantine are not the server's
  EXPECT_LE(resident_mb, 300u);
#endif
  std::sort(latencies.begin(), latencies.end());
  // Printed, not asserted (timings belong to `make bench`, bench/serve_idle.py).
  std::printf(
      "%d half-sent connections opened in %.1f s; 1,000 requests from 8 clients beside them: "
      "p50 %.2f ms, p99 %.2f ms; server threads %zu, resident %zu MB\n",
      kHalfSent, open_seconds, latencies[latencies.size() / 2],
      latencies[latencies.size() * 99 / 100], threads, resident_mb);

  // The head deadline (10 s from each connection's start) closes every one of them: each reads
  // the end of its stream, and the server counts none open but the one asking.
  std::this_thread::sleep_until(opened + std::chrono::seconds(12));
  double left = metric(server.port(), "bert2bilstm_open_connections");
  for (int i = 0; i < 40 && left > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    left = metric(server.port(), "bert2bilstm_open_connections");
  }
  EXPECT_LE(left, 1) << "connections still open after the head deadline";
  size_t closed = 0;
  for (auto& connection : idle) closed += connection->receive(1).empty() ? 1 : 0;
  EXPECT_EQ(closed, idle.size()) << "half-sent connections that got an answer or stayed open";
}

TEST(ServeConnectionsTest, AClientTricklingAByteASecondIsCutOffAtTheHeadDeadline) {
  test::TempDir dir;
  test::write_random_student(dir.path("student"), false, EmbeddingMode::kRand);
  test::ServerProcess server("--model " + dir.path("student") + " --threads 1 --head-timeout 3",
                             B2B_SERVE_BINARY);
  ASSERT_GT(server.port(), 0);
  RawConnection trickle(server.port());
  ASSERT_TRUE(trickle.ok());
  const std::string head =
      "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 30\r\n\r\n";
  const auto start = Clock::now();
  size_t sent = 0;
  while (sent < head.size() && !trickle.closed_by_peer() && trickle.send(head.substr(sent, 1))) {
    ++sent;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (ms_since(start) > 10000) break;
  }
  const double cut_after = ms_since(start) / 1000;
  // Every byte keeps a per-read timeout from firing; only a deadline for the whole head ends it.
  EXPECT_LT(sent, head.size()) << "the whole head was accepted, a byte a second";
  EXPECT_GE(cut_after, 3.0);
  EXPECT_LE(cut_after, 5.0) << "bytes sent: " << sent;
  std::printf("cut off after %.1f s and %zu bytes (deadline 3 s)\n", cut_after, sent);
}

// SIGTERM under load, as Kubernetes sends it: readiness fails at once, requests are answered
// through the drain period, then the server stops accepting, answers what it has and exits 0.
// A request counts as lost when it was sent on an open connection and got no answer. The
// clients play a load balancer's part: 1.5 s after the probe saw readiness fail (within the
// 2 s drain) they send nothing more, as a balancer that has taken the server out; without one,
// a client connecting in the instant the server closes its listening socket would be reset.
TEST(ServeConnectionsTest, SigtermFailsReadinessDrainsAnswersEveryRequestAndExitsZero) {
  test::TempDir dir;
  test::write_random_student(dir.path("student"), false, EmbeddingMode::kRand);
  test::ServerProcess server("--model " + dir.path("student") + " --threads 1 --drain-seconds 2",
                             B2B_SERVE_BINARY);
  ASSERT_GT(server.port(), 0);
  const auto start = Clock::now();
  std::atomic<bool> quit{false};
  std::atomic<int> answered{0}, lost{0}, refused{0}, other{0};
  std::atomic<double> last_answer_ms{0}, first_unready_ms{-1};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", server.port());
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(10, 0);
      client.set_connection_timeout(1, 0);
      while (!quit && !(first_unready_ms >= 0 && ms_since(start) > first_unready_ms + 1500)) {
        const auto answer =
            client.Post("/predict", R"({"text": "a gripping film"})", "application/json");
        if (answer && answer->status == 200) {
          ++answered;
          last_answer_ms = ms_since(start);
        } else if (answer) {
          ++other;
        } else if (answer.error() == httplib::Error::Connection) {
          ++refused;  // not accepting any more
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else {
          ++lost;
        }
      }
    });
  }
  std::thread probe([&] {
    httplib::Client client("127.0.0.1", server.port());
    client.set_connection_timeout(1, 0);
    while (!quit && first_unready_ms < 0) {
      const auto ready = client.Get("/health/ready");
      if (ready && ready->status == 503) first_unready_ms = ms_since(start);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int before_signal = answered;
  const double signal_ms = ms_since(start);
  kill(server.pid(), SIGTERM);
  int status = 0;
  while (waitpid(server.pid(), &status, WNOHANG) == 0 && ms_since(start) < signal_ms + 15000)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const double exit_ms = ms_since(start);
  quit = true;
  for (auto& c : clients) c.join();
  probe.join();
  server.reaped();

  EXPECT_GT(before_signal, 100);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  EXPECT_GE(first_unready_ms, signal_ms);
  EXPECT_LT(first_unready_ms, signal_ms + 500) << "readiness failed late";
  // Answers through the drain, up to when the clients stopped (1.5 s after readiness failed).
  EXPECT_GT(last_answer_ms, first_unready_ms + 1400);
  EXPECT_GT(answered, before_signal + 100);
  EXPECT_EQ(lost, 0) << "requests sent on an open connection and not answered";
  EXPECT_EQ(other, 0) << "answers other than 200";
  EXPECT_LT(exit_ms, signal_ms + 2000 + 5000) << "exit after the drain took too long";
  std::printf(
      "SIGTERM at %.0f ms: not ready at %.0f ms, last answer at %.0f ms, exit 0 at %.0f "
      "ms; %d answered (%d before the signal), %d refused connections after the stop\n",
      signal_ms, first_unready_ms.load(), last_answer_ms.load(), exit_ms, answered.load(),
      before_signal, refused.load());
}

}  // namespace
}  // namespace b2b
