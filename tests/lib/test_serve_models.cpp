// Several models in one server, the Open Inference Protocol's REST routes (requests written
// from the examples of its specification, inference_rest.md of kserve/open-inference-protocol)
// and model reloads under load, against the real `bert2bilstm-serve` on a loopback port.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/student_classifier.h"
#include "random_student.h"
#include "server_process.h"
#include "test_util.h"

namespace b2b {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

httplib::Result post(int port, const std::string& path, const Json& body) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  return client.Post(path, body.dump(), "application/json");
}

httplib::Result get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  return client.Get(path);
}

// The library's logits for one example: what a server of that directory must answer.
std::vector<float> logits_of(const std::string& dir, const std::string& a,
                             const std::string& b = "") {
  auto model = StudentClassifier::load(dir, ClassifierOptions{});
  Example e;
  e.text_a = a;
  e.text_b = b;
  std::vector<float> out(model->labels().size());
  model->logits(model->encode(std::vector<Example>{e}), out.data());
  return out;
}

void expect_error(const httplib::Result& result, int status, const std::string& needle) {
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, status) << result->body;
  const Json body = Json::parse(result->body, nullptr, false);
  ASSERT_TRUE(body.is_object() && body.contains("error")) << result->body;
  EXPECT_NE(body["error"].get<std::string>().find(needle), std::string::npos) << result->body;
}

class ServeModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_random_student(dir_.path("single"), false, EmbeddingMode::kRand, 3);
    test::write_random_student(dir_.path("pair"), true, EmbeddingMode::kRand, 4);
  }
  test::TempDir dir_;
};

TEST_F(ServeModelsTest, OpenInferenceProtocolRoutesAnswerAsTheSpecificationSays) {
  test::ServerProcess server(
      "--model sent=" + dir_.path("single") + " --model nli=" + dir_.path("pair") + " --threads 2",
      B2B_SERVE_BINARY);
  const int port = server.port();
  ASSERT_GT(port, 0);

  // Server metadata and health: the status says it, 200 for true.
  const auto meta = get(port, "/v2");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->status, 200);
  const Json server_meta = Json::parse(meta->body);
  EXPECT_EQ(server_meta["name"], "bert2bilstm");
  EXPECT_TRUE(server_meta["version"].is_string());
  EXPECT_TRUE(server_meta["extensions"].is_array());
  for (const char* path :
       {"/v2/health/live", "/v2/health/ready", "/v2/models/sent/ready", "/v2/models/nli/ready"}) {
    const auto health = get(port, path);
    ASSERT_TRUE(health) << path;
    EXPECT_EQ(health->status, 200) << path;
  }
  expect_error(get(port, "/v2/models/nope/ready"), 404, "no model named \"nope\"");

  // Model metadata: name, platform, inputs and outputs with datatypes and shapes.
  const Json sent = Json::parse(get(port, "/v2/models/sent")->body);
  EXPECT_EQ(sent["name"], "sent");
  EXPECT_EQ(sent["platform"], "bert2bilstm");
  EXPECT_EQ(sent["inputs"], Json::parse(R"([{"name":"text","datatype":"BYTES","shape":[-1]}])"));
  EXPECT_EQ(sent["outputs"][0], Json::parse(R"({"name":"label","datatype":"BYTES","shape":[-1]})"));
  EXPECT_EQ(sent["outputs"][1]["name"], "probabilities");
  EXPECT_EQ(sent["outputs"][1]["datatype"], "FP32");
  EXPECT_EQ(sent["outputs"][1]["shape"], Json::parse("[-1, 2]"));
  const Json nli = Json::parse(get(port, "/v2/models/nli")->body);
  EXPECT_EQ(nli["inputs"].size(), 2u);
  EXPECT_EQ(nli["inputs"][0]["name"], "text_a");
  EXPECT_EQ(nli["inputs"][1]["name"], "text_b");
  EXPECT_EQ(nli["outputs"][2]["shape"], Json::parse("[-1, 3]"));
  expect_error(get(port, "/v2/models/nope"), 404, "no model named");

  // Infer, single sentences: the request of the specification's example, BYTES for FP32.
  const Json request = Json::parse(R"({
    "id" : "42",
    "inputs" : [ { "name" : "text", "shape" : [ 2 ], "datatype" : "BYTES",
                   "data" : [ "a good film", "a bad film" ] } ],
    "outputs" : [ { "name" : "probabilities" }, { "name" : "label" } ] })");
  const auto answered = post(port, "/v2/models/sent/infer", request);
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->status, 200) << answered->body;
  const Json infer = Json::parse(answered->body);
  EXPECT_EQ(infer["model_name"], "sent");
  EXPECT_EQ(infer["id"], "42");
  ASSERT_EQ(infer["outputs"].size(), 2u);  // the two asked for, not the logits
  const std::vector<float> good = logits_of(dir_.path("single"), "a good film");
  for (const Json& output : infer["outputs"]) {
    if (output["name"] == "probabilities") {
      EXPECT_EQ(output["datatype"], "FP32");
      EXPECT_EQ(output["shape"], Json::parse("[2, 2]"));
      ASSERT_EQ(output["data"].size(), 4u);
      const double p1 = 1 / (1 + std::exp(good[0] - good[1]));
      EXPECT_NEAR(output["data"][1].get<double>(), p1, 1e-5);
      EXPECT_NEAR(output["data"][0].get<double>() + output["data"][1].get<double>(), 1, 1e-5);
    } else {
      EXPECT_EQ(output["name"], "label");
      EXPECT_EQ(output["datatype"], "BYTES");
      EXPECT_EQ(output["shape"], Json::parse("[2]"));
      EXPECT_EQ(output["data"][0], good[1] > good[0] ? "1" : "0");
    }
  }
  // Without "outputs": all three, and without "id": none echoed. Nested data, shape [1, 1].
  const auto all = post(port, "/v2/models/sent/infer", Json::parse(R"({"inputs": [{"name": "text",
      "shape": [1, 1], "datatype": "BYTES", "data": [["a good film"]]}]})"));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 200) << all->body;
  const Json every = Json::parse(all->body);
  EXPECT_FALSE(every.contains("id"));
  ASSERT_EQ(every["outputs"].size(), 3u);
  EXPECT_EQ(every["outputs"][2]["name"], "logits");
  EXPECT_NEAR(every["outputs"][2]["data"][0].get<double>(), good[0], 1e-5);
  EXPECT_NEAR(every["outputs"][2]["data"][1].get<double>(), good[1], 1e-5);

  // Infer, pairs: two inputs, the same logits as the library's.
  const auto paired = post(port, "/v2/models/nli/infer", Json::parse(R"({"inputs": [
      {"name": "text_a", "shape": [1], "datatype": "BYTES", "data": ["a good film"]},
      {"name": "text_b", "shape": [1], "datatype": "BYTES", "data": ["a bad film"]}],
      "outputs": [{"name": "logits"}]})"));
  ASSERT_TRUE(paired);
  ASSERT_EQ(paired->status, 200) << paired->body;
  const std::vector<float> pair_logits = logits_of(dir_.path("pair"), "a good film", "a bad film");
  const Json pair_out = Json::parse(paired->body)["outputs"][0];
  EXPECT_EQ(pair_out["shape"], Json::parse("[1, 3]"));
  for (size_t c = 0; c < 3; ++c)
    EXPECT_NEAR(pair_out["data"][c].get<double>(), pair_logits[c], 1e-5);

  // Errors: {"error": ...}, 400 for the request, 404 for the model.
  expect_error(post(port, "/v2/models/nope/infer", request), 404, "no model named");
  expect_error(post(port, "/v2/models/sent/infer", Json::parse(R"({"inputs": [{"name": "txt",
      "shape": [1], "datatype": "BYTES", "data": ["a"]}]})")),
               400, "unknown input \"txt\"");
  expect_error(post(port, "/v2/models/sent/infer", Json::parse(R"({"inputs": [{"name": "text",
      "shape": [1], "datatype": "FP32", "data": [1.0]}]})")),
               400, "datatype FP32");
  expect_error(post(port, "/v2/models/sent/infer", Json::parse(R"({"inputs": [{"name": "text",
      "shape": [3], "datatype": "BYTES", "data": ["a"]}]})")),
               400, "shape holds 3 elements");
  expect_error(post(port, "/v2/models/sent/infer", Json::parse(R"({"inputs": [{"name": "text",
      "shape": [1], "datatype": "BYTES", "data": ["a"]}], "outputs": [{"name": "scores"}]})")),
               400, "unknown output \"scores\"");
  expect_error(post(port, "/v2/models/nli/infer", Json::parse(R"({"inputs": [{"name": "text_a",
      "shape": [1], "datatype": "BYTES", "data": ["a"]}]})")),
               400, "missing input \"text_b\"");
  expect_error(post(port, "/v2/models/sent/infer", Json::parse("[1]")), 400, "JSON object");
  expect_error(post(port, "/v2/models/sent/versions/1/infer", request), 404, "versions");

  // Several models: /predict names the routes; each route serves its own model.
  expect_error(post(port, "/predict", {{"text", "a"}}), 400, "/models/sent/predict");
  const auto own = post(port, "/models/sent/predict", {{"text", "a good film"}});
  ASSERT_TRUE(own);
  ASSERT_EQ(own->status, 200) << own->body;
  EXPECT_NEAR(Json::parse(own->body)["logits"][0].get<double>(), good[0], 1e-5);
  expect_error(post(port, "/models/nope/predict", {{"text", "a"}}), 404, "no model named");
  const Json info = Json::parse(get(port, "/info")->body);
  EXPECT_TRUE(info["models"].contains("sent") && info["models"].contains("nli")) << info;
  EXPECT_EQ(server.terminate(), 0);
}

// Answers for one sentence, in a loop, from 64 clients while the served directory (a symlink)
// is replaced twice: by a good new model, then by a damaged one.
TEST_F(ServeModelsTest, ReloadUnderLoadSwitchesToAGoodModelAndKeepsServingPastADamagedOne) {
  const char* env = std::getenv("B2B_RELOAD_SECONDS");
#ifdef B2B_SANITIZED
  const int default_seconds = 10;  // the sanitized build's run: the same steps, less load
#else
  const int default_seconds = 30;
#endif
  const int seconds = env ? std::max(6, std::atoi(env)) : default_seconds;
  test::write_random_student(dir_.path("v2"), false, EmbeddingMode::kRand, 5);
  fs::create_directory(dir_.path("v3"));
  for (const char* file : {"config.json", "vocab.txt"})
    fs::copy_file(dir_.path("v2") + "/" + file, dir_.path("v3") + "/" + file);
  {  // the weights cut short, as a copy interrupted halfway
    std::ifstream in(dir_.path("v2") + "/model.safetensors", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir_.path("v3") + "/model.safetensors", std::ios::binary)
        << bytes.substr(0, bytes.size() / 2);
  }
  // Published the safe way: a new directory, and a symlink swapped with rename.
  auto publish = [&](const std::string& target) {
    fs::create_directory_symlink(dir_.path(target), dir_.path("next"));
    fs::rename(dir_.path("next"), dir_.path("current"));
  };
  publish("single");
  const std::string sentence = "a good film";
  const float v1 = logits_of(dir_.path("single"), sentence)[1];
  const float v2 = logits_of(dir_.path("v2"), sentence)[1];
  ASSERT_GT(std::fabs(v1 - v2), 1e-3) << "the two models must answer differently";

  test::ServerProcess server("--model " + dir_.path("current") + " --threads 2", B2B_SERVE_BINARY);
  const int port = server.port();
  ASSERT_GT(port, 0);
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0}, neither{0}, old_after_switch{0};
  std::atomic<bool> switched{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 64; ++t) {
    clients.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(10, 0);
      const std::string body = Json{{"text", sentence}}.dump();
      while (!stop) {
        const bool after = switched;  // read before sending: answers after it are v2's
        const auto r = client.Post("/predict", body, "application/json");
        if (!r || r->status != 200) {
          ++failed;
          continue;
        }
        ++answered;
        const float got = Json::parse(r->body)["logits"][1].get<float>();
        if (std::fabs(got - v1) > 1e-5 && std::fabs(got - v2) > 1e-5) ++neither;
        if (after && std::fabs(got - v1) <= 1e-5) ++old_after_switch;
      }
    });
  }
  const auto third = std::chrono::milliseconds(seconds * 1000 / 3);
  std::this_thread::sleep_for(third);
  publish("v2");
  kill(server.pid(), SIGHUP);
  // The reload is done once the metrics count it.
  for (int i = 0; i < 200; ++i) {
    const auto page = get(port, "/metrics");
    if (page &&
        page->body.find("bert2bilstm_model_reloads_total{model=\"current\",result=\"ok\"} 1") !=
            std::string::npos) {
      switched = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(switched) << "the good model was not reloaded";
  std::this_thread::sleep_for(third);
  publish("v3");
  kill(server.pid(), SIGHUP);
  bool refused = false;
  for (int i = 0; i < 200 && !refused; ++i) {
    const auto page = get(port, "/metrics");
    refused = page && page->body.find(
                          "bert2bilstm_model_reloads_total{model=\"current\",result="
                          "\"failed\"} 1") != std::string::npos;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(refused) << "the damaged model was not refused";
  std::this_thread::sleep_for(third);
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(neither, 0) << "answers from neither model";
  EXPECT_EQ(old_after_switch, 0) << "answers from the old model after the switch was counted";
  EXPECT_GT(answered, 1000);
  // The good model serves on past the damaged one.
  const auto last = post(port, "/predict", {{"text", sentence}});
  ASSERT_TRUE(last);
  ASSERT_EQ(last->status, 200);
  EXPECT_NEAR(Json::parse(last->body)["logits"][1].get<double>(), v2, 1e-5);
  EXPECT_EQ(server.terminate(), 0);
  std::printf("%d answers in %d s, two reloads (one refused), none failed\n", answered.load(),
              seconds);
}

}  // namespace
}  // namespace b2b
