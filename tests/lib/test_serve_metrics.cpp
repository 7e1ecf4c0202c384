// GET /metrics (Prometheus text format), /health/live and /health/ready of the real server
// program, on a student with random weights.
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <regex>
#include <sstream>

#include "random_student.h"
#include "serve/metrics.h"
#include "server_process.h"
#include "test_util.h"

namespace b2b {
namespace {

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

}  // namespace
}  // namespace b2b
