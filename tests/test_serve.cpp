// The `serve` program end to end over HTTP: answers equal to `predict`, 4xx JSON errors for bad
// requests, shutdown on SIGTERM (micro-batching and request parsing: lib/test_serve_parts.cpp).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "server_process.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

using Json = nlohmann::json;

std::vector<Json> predict_json_lines(const std::string& model, const std::string& sentences) {
  const auto result = test::run_cli("predict --json --model " + model, sentences);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<Json> rows;
  std::istringstream in(result.out);
  std::string line;
  while (std::getline(in, line)) rows.push_back(Json::parse(line));
  return rows;
}

void expect_same_prediction(const Json& served, const Json& predicted) {
  EXPECT_EQ(served["label"], predicted["label"]);
  ASSERT_EQ(served["logits"].size(), predicted["logits"].size());
  for (size_t c = 0; c < served["logits"].size(); ++c) {
    EXPECT_NEAR(served["logits"][c].get<double>(), predicted["logits"][c].get<double>(), 1e-5);
    EXPECT_NEAR(served["probabilities"][c].get<double>(),
                predicted["probabilities"][c].get<double>(), 1e-5);
  }
}

void expect_json_error(const httplib::Result& result, int status) {
  ASSERT_TRUE(result) << "no answer";
  EXPECT_EQ(result->status, status) << result->body;
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  const Json body = Json::parse(result->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << result->body;
  EXPECT_TRUE(body.contains("error")) << result->body;
}

TEST(ServeTest, AnswersLikePredictRefusesBadRequestsAndStopsOnSigterm) {
  test::TempDir dir;
  std::istringstream train_rows(read_file(test::shared("data/glue/SST-2/train.tsv")));
  std::string line, head;
  for (int i = 0; i <= 3000 && std::getline(train_rows, line); ++i) head += line + "\n";
  const std::string model = dir.path("student");
  const auto trained =
      test::run_cli("student train --task sst2 --train " + dir.write("train.tsv", head) +
                    " --dev " + test::shared("data/glue/SST-2/dev.tsv") + " --out " + model +
                    " --epochs 2 --patience 0 --hidden 32 --fc 32 --embedding-dim 32 --threads 2");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;

  test::ServerProcess server("--model " + model + " --max-body-bytes 4096 --threads 1");
  ASSERT_GT(server.port(), 0) << "the server did not print its port";
  httplib::Client client("127.0.0.1", server.port());
  const std::vector<std::string> sentences = {"a gripping , funny and moving film",
                                              "dull , lifeless and far too long", "not bad at all",
                                              "the worst movie of the year", ""};
  std::string stdin_text;
  for (const auto& s : sentences) stdin_text += s + "\n";
  const std::vector<Json> expected = predict_json_lines(model, stdin_text);
  ASSERT_EQ(expected.size(), sentences.size());

  // One sentence per request, from several clients at once (they get micro-batched).
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      httplib::Client own("127.0.0.1", server.port());
      for (int i = 0; i < 10; ++i) {
        const size_t s = (t + i) % sentences.size();
        const auto res =
            own.Post("/predict", Json{{"text", sentences[s]}}.dump(), "application/json");
        ASSERT_TRUE(res);
        ASSERT_EQ(res->status, 200) << res->body;
        expect_same_prediction(Json::parse(res->body), expected[s]);
      }
    });
  }
  for (auto& t : clients) t.join();
  const auto listed =
      client.Post("/predict", Json{{"texts", sentences}}.dump(), "application/json");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200);
  const Json predictions = Json::parse(listed->body)["predictions"];
  ASSERT_EQ(predictions.size(), sentences.size());
  for (size_t s = 0; s < sentences.size(); ++s) expect_same_prediction(predictions[s], expected[s]);
  // The empty text is answered, and the answer says how it was read.
  EXPECT_EQ(predictions[4]["warning"], "no words in the text: read as one unknown word");
  EXPECT_FALSE(predictions[0].contains("warning"));

  const auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const auto info = client.Get("/info");
  ASSERT_TRUE(info);
  const Json about = Json::parse(info->body);
  EXPECT_EQ(about["labels"], Json({"0", "1"}));
  EXPECT_EQ(about["hidden"], 32);
  EXPECT_GT(about["parameters"].get<int64_t>(),
            about["parameters_without_embeddings"].get<int64_t>());

  expect_json_error(client.Post("/predict", "{\"text\": ", "application/json"), 400);
  expect_json_error(client.Post("/predict", R"({"text": 5})", "application/json"), 400);
  expect_json_error(client.Post("/predict", R"({"sentence": "x"})", "application/json"), 400);
  expect_json_error(client.Post("/predict", R"({"texts": []})", "application/json"), 400);
  expect_json_error(client.Post("/predict", "{\"text\": \"bad \xff\"}", "application/json"), 400);
  expect_json_error(client.Post("/predict", R"({"text": "x"})", "text/plain"), 415);
  expect_json_error(
      client.Post("/predict", Json{{"text", std::string(5000, 'a')}}.dump(), "application/json"),
      413);
  expect_json_error(client.Get("/nowhere"), 404);
  const auto still = client.Get("/health");  // still answering after all of that
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);

  EXPECT_EQ(server.terminate(), 0);

  // bert2bilstm-serve, the same server without libtorch: the same answers, no libtorch mapped.
  test::ServerProcess lean("--model " + model + " --threads 1", B2B_SERVE_BINARY);
  ASSERT_GT(lean.port(), 0) << "bert2bilstm-serve did not print its port";
  httplib::Client lean_client("127.0.0.1", lean.port());
  const auto answered =
      lean_client.Post("/predict", Json{{"texts", sentences}}.dump(), "application/json");
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->status, 200);
  const Json lean_predictions = Json::parse(answered->body)["predictions"];
  ASSERT_EQ(lean_predictions.size(), sentences.size());
  for (size_t s = 0; s < sentences.size(); ++s)
    expect_same_prediction(lean_predictions[s], expected[s]);
  const std::string maps = read_file("/proc/" + std::to_string(lean.pid()) + "/maps");
  EXPECT_NE(maps.find("libopenblas"), std::string::npos);  // the right process's map
  EXPECT_EQ(maps.find("libtorch"), std::string::npos);
  EXPECT_EQ(maps.find("libc10"), std::string::npos);
  EXPECT_EQ(lean.terminate(), 0);
}

// Settings it cannot honour are refused before it listens (a port above 65535 used to wrap).
TEST(ServeTest, RefusesImpossibleSettings) {
  const std::string model = " --model " + test::shared("fixtures/bert/tiny-sst2-f32");
  const std::pair<std::string, std::string> cases[] = {
      {"--port 70000", "--port: Value 70000 not in range 0 to 65535"},
      {"--max-body-bytes 0", "--max-body-bytes: expected a positive integer, got 0"},
      {"--max-batch 0", "--max-batch must be positive"},
      {"--max-wait-ms -1", "--max-wait-ms must be >= 0"},
  };
  for (const auto& [flag, needle] : cases) {
    const auto result = test::run_cli("serve " + flag + model);
    EXPECT_NE(result.exit_code, 0) << flag;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_NE(result.err.find(needle), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "") << flag;
  }
}

}  // namespace
}  // namespace b2b
