// GET /metrics (Prometheus text format), /health/live and /health/ready of the real server
// program, on a student with random weights.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "random_student.h"
#include "serve/metrics.h"
#include "server_process.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

using Json = nlohmann::json;

// Each sample line of an exposition: "name{labels}" -> value.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST(ServeMetrics, CountsRequestsByRouteAndStatusWithoutSeriesForRandomPaths) {
  test::TempDir dir;
  test::write_random_student(dir.path("student"), false, EmbeddingMode::kRand);
  test::ServerProcess server("--model " + dir.path("student") + " --threads 1", B2B_SERVE_BINARY);
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());
  auto ready = client.Get("/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(client.Get("/health/live")->status, 200);
  for (int i = 0; i < 5; ++i) {
    auto r = client.Post("/predict", R"({"texts": ["a good film", "bad"]})", "application/json");
    ASSERT_EQ(r->status, 200);
  }
  EXPECT_EQ(client.Post("/predict", "{", "application/json")->status, 400);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(client.Get("/random/" + std::to_string(i))->status, 404);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(client
                  .Post("/v2/models/random-model-" + std::to_string(i) + "/infer", "{}",
                        "application/json")
                  ->status,
              404);
  }

  auto response = client.Get("/metrics");
  ASSERT_EQ(response->status, 200);
  EXPECT_NE(response->get_header_value("Content-Type").find("text/plain; version=0.0.4"),
            std::string::npos);
  const std::string text = response->body;
  const auto s = samples(text);
  EXPECT_EQ(s.at(R"(bert2bilstm_http_requests_total{route="/predict",status="200"})"), 5);
  EXPECT_EQ(s.at(R"(bert2bilstm_http_requests_total{route="/predict",status="400"})"), 1);
  EXPECT_EQ(s.at(R"(bert2bilstm_http_requests_total{route="other",status="404"})"), 20);
  EXPECT_EQ(s.at(R"(bert2bilstm_http_requests_total{route="/health/ready",status="200"})"), 1);
  EXPECT_EQ(text.find("/random/"), std::string::npos);  // no series per unknown path
  EXPECT_EQ(s.at(R"(bert2bilstm_http_request_duration_seconds_count{route="/predict"})"), 6);
  EXPECT_EQ(s.at(R"(bert2bilstm_http_request_duration_seconds_bucket{route="/predict",le="+Inf"})"),
            6);
  EXPECT_EQ(s.at("bert2bilstm_sentences_total"), 10);
  EXPECT_EQ(s.at("bert2bilstm_model_batch_size_sum"), 10);
  EXPECT_EQ(s.at("bert2bilstm_model_batch_size_count"),
            s.at("bert2bilstm_model_batch_duration_seconds_count"));
  EXPECT_EQ(s.at("bert2bilstm_queue_sentences"), 0);
  EXPECT_GE(s.at("bert2bilstm_open_connections"), 1);
  EXPECT_GT(s.at(R"(bert2bilstm_model_load_seconds{model="student"})"), 0);
  // Model names in routes are a template's, not a series each.
  EXPECT_EQ(
      s.at(R"(bert2bilstm_http_requests_total{route="/v2/models/{name}/infer",status="404"})"), 20);
  EXPECT_EQ(text.find("random-model-"), std::string::npos);
  const std::regex info(
      R"re(bert2bilstm_model_info\{name="student",task="sst2",labels="0,1",hash="[0-9a-f]{16}"\} 1)re");
  EXPECT_TRUE(std::regex_search(text, info)) << text;
  // Buckets are cumulative: each at least the one before.
  double previous = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(R"(bert2bilstm_http_request_duration_seconds_bucket{route="/predict")", 0) != 0)
      continue;
    const double count = std::stod(line.substr(line.rfind(' ') + 1));
    EXPECT_GE(count, previous) << line;
    previous = count;
  }
  EXPECT_EQ(previous, 6);
  EXPECT_EQ(server.terminate(), 0);
}

TEST(ServeMetrics, HistogramsAndLabelValuesFollowTheTextFormat) {
  Histogram h({0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(7);
  std::string out;
  h.render(out, "x", "a=\"b\"");
  EXPECT_EQ(out,
            "x_bucket{a=\"b\",le=\"0.1\"} 1\nx_bucket{a=\"b\",le=\"1\"} 2\n"
            "x_bucket{a=\"b\",le=\"+Inf\"} 3\nx_sum{a=\"b\"} 7.55\nx_count{a=\"b\"} 3\n");
  ServerMetrics metrics({"/predict"});
  metrics.set_model({"a \"quoted\"\nname", "sst2", "0,1", "", 0});
  EXPECT_NE(metrics.render({}).find(R"(name="a \"quoted\"\nname")"), std::string::npos);
  EXPECT_EQ(metrics.route_of("/predict/x"), "other");
  EXPECT_EQ(metrics.route_of("/predict"), "/predict");
}

// A free loopback port, for a program that cannot be told to pick one (Prometheus).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  close(fd);
  return port;
}

// Runs a command with its output in `log`; returns its exit status.
int run_to(const std::string& command, const std::string& log) {
  const int status = std::system((command + " >" + log + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The value of an instant query's single sample, or NaN when it has none (yet).
double query(httplib::Client& prometheus, const std::string& promql) {
  const auto answer =
      prometheus.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!answer || answer->status != 200) return std::nan("");
  const Json body = Json::parse(answer->body, nullptr, false);
  if (!body.is_object() || body["status"] != "success") return std::nan("");
  const Json& result = body["data"]["result"];
  if (!result.is_array() || result.size() != 1) return std::nan("");
  return std::stod(result[0]["value"][1].get<std::string>());
}

// A real Prometheus (Debian's, installed by scripts/setup.sh --test) scrapes the server every
// second; its query API must return the request counter and a latency quantile for the
// traffic sent here, and promtool must pass the exposition.
TEST(ServeMetrics, ARealPrometheusScrapesItAndPromtoolPassesIt) {
  if (access("/usr/bin/prometheus", X_OK) != 0 || access("/usr/bin/promtool", X_OK) != 0)
    GTEST_SKIP() << "Debian's prometheus is not installed (scripts/setup.sh --test installs it)";
  test::TempDir dir;
  test::write_random_student(dir.path("student"), false, EmbeddingMode::kRand);
  test::ServerProcess server("--model " + dir.path("student") + " --threads 1", B2B_SERVE_BINARY);
  ASSERT_GT(server.port(), 0);
  httplib::Client client("127.0.0.1", server.port());
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(client.Post("/predict", R"({"text": "a good film"})", "application/json")->status,
              200);

  const auto page = client.Get("/metrics");
  ASSERT_TRUE(page);
  std::ofstream(dir.path("metrics.txt")) << page->body;
  EXPECT_EQ(run_to("/usr/bin/promtool check metrics < " + dir.path("metrics.txt"),
                   dir.path("promtool.log")),
            0)
      << read_file(dir.path("promtool.log"));

  const int port = free_port();
  ASSERT_GT(port, 0);
  std::ofstream(dir.path("prometheus.yml"))
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: bert2bilstm\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << server.port() << "']\n";
  const pid_t prometheus = fork();
  if (prometheus == 0) {
    const std::string config = "--config.file=" + dir.path("prometheus.yml");
    const std::string storage = "--storage.tsdb.path=" + dir.path("tsdb");
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    const int log = open(dir.path("prometheus.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execl("/usr/bin/prometheus", "prometheus", config.c_str(), storage.c_str(), listen.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(5, 0);
  // Scrapes at least two (rate() needs two points), then a request counter that has seen all
  // 50 and a 99th-percentile latency from the histogram's buckets.
  const std::string counter = R"(bert2bilstm_http_requests_total{route="/predict",status="200"})";
  const std::string quantile =
      R"(histogram_quantile(0.99, sum(rate(bert2bilstm_http_request_duration_seconds_bucket{route="/predict"}[1m])) by (le)))";
  double requests = std::nan(""), p99 = std::nan("");
  for (int i = 0; i < 120 && !(requests >= 60 && std::isfinite(p99) && p99 > 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // More traffic between scrapes, so that rate() sees requests.
    for (int j = 0; j < 10; ++j)
      client.Post("/predict", R"({"text": "a good film"})", "application/json");
    requests = query(api, counter);
    p99 = query(api, quantile);
  }
  kill(prometheus, SIGTERM);
  waitpid(prometheus, nullptr, 0);
  EXPECT_GE(requests, 60) << read_file(dir.path("prometheus.log")).substr(0, 2000);
  EXPECT_TRUE(std::isfinite(p99) && p99 > 0 && p99 < 10) << "p99 " << p99;
  std::printf("Prometheus read %.0f /predict answers, p99 %.4f s\n", requests, p99);
  EXPECT_EQ(server.terminate(), 0);
}

// --metrics-address: /metrics and the admin route on their own address, not on the model's.
TEST(ServeMetrics, AMetricsAddressServesMetricsAndReloadThereAlone) {
  test::TempDir dir;
  test::write_random_student(dir.path("student"), false, EmbeddingMode::kRand);
  const int metrics_port = free_port();
  ASSERT_GT(metrics_port, 0);
  test::ServerProcess server("--model " + dir.path("student") + " --threads 1 --admin-token t " +
                                 "--metrics-address 127.0.0.1:" + std::to_string(metrics_port),
                             B2B_SERVE_BINARY);
  ASSERT_GT(server.port(), 0);
  httplib::Client model("127.0.0.1", server.port()), admin("127.0.0.1", metrics_port);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(model.Post("/predict", R"({"text": "a good film"})", "application/json")->status,
              200);
  EXPECT_EQ(model.Get("/metrics")->status, 404);
  EXPECT_EQ(model.Post("/admin/reload", {{"Authorization", "Bearer t"}}, "", "text/plain")->status,
            404);
  const auto page = admin.Get("/metrics");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(
      samples(page->body).at(R"(bert2bilstm_http_requests_total{route="/predict",status="200"})"),
      3);
  EXPECT_EQ(admin.Post("/predict", R"({"text": "a"})", "application/json")->status, 404);
  EXPECT_EQ(admin.Post("/admin/reload", "", "text/plain")->status, 401);
  const auto reloaded =
      admin.Post("/admin/reload", {{"Authorization", "Bearer t"}}, "", "text/plain");
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(reloaded->status, 200) << reloaded->body;
  EXPECT_EQ(server.terminate(), 0);
}

}  // namespace
}  // namespace b2b
