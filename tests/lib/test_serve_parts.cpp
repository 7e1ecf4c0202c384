// The server's parts without a network: micro-batching (a stand-in model) and the parsing of
// /predict bodies. The server over HTTP: tests/test_serve.cpp and tests/lib/test_serve_abuse.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/micro_batcher.h"
#include "serve/server.h"

namespace b2b {
namespace {

using Json = nlohmann::json;

// A stand-in model: row i of the logits is (first word id of example i, batch size).
struct RecordingModel {
  std::vector<size_t> batch_sizes;
  std::vector<float> operator()(const std::vector<EncodedExample>& examples) {
    batch_sizes.push_back(examples.size());
    std::vector<float> logits;
    for (const auto& e : examples) {
      logits.push_back(static_cast<float>(e.a[0]));
      logits.push_back(static_cast<float>(examples.size()));
    }
    return logits;
  }
};

// Releases the waiting threads once `count` have arrived (std::barrier is C++20).
class Latch {
 public:
  explicit Latch(int count) : count_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--count_ == 0) released_.notify_all();
    released_.wait(lock, [&] { return count_ == 0; });
  }

 private:
  int count_;
  std::mutex mutex_;
  std::condition_variable released_;
};

std::vector<EncodedExample> examples_with_ids(std::vector<int64_t> ids) {
  std::vector<EncodedExample> out;
  for (int64_t id : ids) {
    EncodedExample e;
    e.a = {id};
    out.push_back(e);
  }
  return out;
}

// Connects n clients to the batcher and runs client(r) for each on its own thread, all
// released together.
template <typename Client>
void run_clients_together(MicroBatcher& batcher, int n, Client client) {
  for (int r = 0; r < n; ++r) batcher.client_connected();
  Latch all_ready(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      all_ready.arrive_and_wait();
      client(r);
    });
  }
  for (auto& t : threads) t.join();
}

TEST(MicroBatcherTest, OneRequestPerClientMakesOneBatchAndEachGetsItsOwnRows) {
  RecordingModel model;
  MicroBatcher batcher(std::ref(model), {64, std::chrono::seconds(30)});
  constexpr int kRequests = 12;
  std::vector<std::vector<float>> answers(kRequests);
  run_clients_together(batcher, kRequests, [&](int r) {
    answers[r] = batcher.submit(examples_with_ids({100 + r, 200 + r}));
  });
  ASSERT_EQ(model.batch_sizes, std::vector<size_t>{2 * kRequests});  // one forward pass
  for (int r = 0; r < kRequests; ++r) {
    ASSERT_EQ(answers[r].size(), 4u);  // two rows of two
    EXPECT_EQ(answers[r][0], 100 + r);
    EXPECT_EQ(answers[r][2], 200 + r);
  }
  const auto stats = batcher.stats();
  EXPECT_EQ(stats.requests, static_cast<size_t>(kRequests));
  EXPECT_EQ(stats.batches, 1u);
}

TEST(MicroBatcherTest, BatchesStopAtMaxBatchSentences) {
  RecordingModel model;
  MicroBatcher batcher(std::ref(model), {4, std::chrono::seconds(30)});
  constexpr int kRequests = 10;
  run_clients_together(batcher, kRequests, [&](int r) {
    EXPECT_EQ(batcher.submit(examples_with_ids({r}))[0], r);
    batcher.client_disconnected();  // answered clients leave, so the rest need not wait
  });
  size_t total = 0;
  for (size_t size : model.batch_sizes) {
    EXPECT_LE(size, 4u);
    total += size;
  }
  EXPECT_EQ(total, static_cast<size_t>(kRequests));
  EXPECT_GE(model.batch_sizes.size(), 3u);
}

TEST(MicroBatcherTest, ALoneClientDoesNotWaitForTheDeadline) {
  RecordingModel model;
  MicroBatcher batcher(std::ref(model), {64, std::chrono::seconds(120)});
  const auto start = std::chrono::steady_clock::now();
  batcher.client_connected();
  EXPECT_EQ(batcher.submit(examples_with_ids({7}))[0], 7);
  // No other client could send, so it ran at once rather than after max_wait (120 s).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(MicroBatcherTest, WithMoreClientsThanRequestsItRunsAtTheDeadline) {
  RecordingModel model;
  MicroBatcher batcher(std::ref(model), {64, std::chrono::milliseconds(20)});
  for (int c = 0; c < 5; ++c) batcher.client_connected();
  EXPECT_EQ(batcher.submit(examples_with_ids({3}))[1], 1);  // a batch of one
}

TEST(MicroBatcherTest, AModelErrorReachesEveryRequestOfTheBatch) {
  MicroBatcher batcher(
      [](const std::vector<EncodedExample>&) -> std::vector<float> {
        throw std::runtime_error("model failed");
      },
      {64, std::chrono::milliseconds(1)});
  EXPECT_THROW(batcher.submit(examples_with_ids({1})), std::runtime_error);
  EXPECT_THROW(batcher.submit(examples_with_ids({2})), std::runtime_error);
}

// The server's connections answer through callbacks that hold them: a connection's last
// holder may be the callback, and its end tells the batcher (client_disconnected). That must
// not happen under the batcher's lock (it used to: the server hung under 64 clients).
TEST(MicroBatcherTest, ACallbackWhoseEndCallsBackIntoTheBatcherDoesNotDeadlock) {
  MicroBatcher batcher(RecordingModel{}, {64, std::chrono::milliseconds(1)});
  struct Connection {
    MicroBatcher* batcher;
    ~Connection() { batcher->client_disconnected(); }
  };
  std::mutex mutex;
  std::condition_variable answered;
  int answers = 0;
  for (int i = 0; i < 20; ++i) {
    batcher.client_connected();
    auto connection = std::make_shared<Connection>(Connection{&batcher});
    batcher.submit(examples_with_ids({i}), [connection, &mutex, &answered, &answers](
                                               std::vector<float> logits, std::exception_ptr) {
      EXPECT_EQ(logits.size(), 2u);
      std::lock_guard<std::mutex> lock(mutex);
      ++answers;
      answered.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mutex);
  EXPECT_TRUE(answered.wait_for(lock, std::chrono::seconds(10), [&] { return answers == 20; }))
      << answers << " of 20 answered";
  EXPECT_EQ(batcher.stats().clients, 0u);
}

TaskSpec sst2() { return parse_task("sst2"); }
TaskSpec pair_task() { return parse_task("tsv:text_a=0,text_b=1,label=2,labels=no|yes"); }

int status_of(const std::string& body, const TaskSpec& task) {
  try {
    parse_predict_request(body, task);
  } catch (const RequestError& e) {
    return e.status;
  }
  return 200;
}

TEST(PredictRequestTest, ReadsEveryForm) {
  auto one = parse_predict_request(R"({"text": "a fine film"})", sst2());
  ASSERT_EQ(one.examples.size(), 1u);
  EXPECT_EQ(one.examples[0].text_a, "a fine film");
  EXPECT_FALSE(one.list);
  auto many = parse_predict_request(R"({"texts": ["good", "bad", ""]})", sst2());
  EXPECT_EQ(many.examples.size(), 3u);
  EXPECT_TRUE(many.list);
  auto pair = parse_predict_request(R"({"text_a": "a dog runs", "text_b": "an animal moves"})",
                                    pair_task());
  EXPECT_EQ(pair.examples[0].text_b, "an animal moves");
  auto pairs = parse_predict_request(R"({"pairs": [{"text_a": "x", "text_b": "y"}, ["p", "q"]]})",
                                     pair_task());
  ASSERT_EQ(pairs.examples.size(), 2u);
  EXPECT_EQ(pairs.examples[1].text_a, "p");
  EXPECT_TRUE(pairs.list);
}

TEST(PredictRequestTest, RefusesMalformedBodiesWith400) {
  for (const char* body : {"", "{", "[1, 2]", "\"text\"", "{}", R"({"text": 5})",
                           R"({"texts": "one"})", R"({"texts": []})", R"({"texts": ["a", 3]})",
                           R"({"text_a": "x", "text_b": "y"})", "{\"text\": \"bad \xff\"}"}) {
    EXPECT_EQ(status_of(body, sst2()), 400) << body;
  }
  for (const char* body : {R"({"text": "x"})", R"({"text_a": "x"})", R"({"pairs": [["x"]]})",
                           R"({"pairs": [{"text_a": "x", "text_b": 1}]})", R"({"pairs": []})"}) {
    EXPECT_EQ(status_of(body, pair_task()), 400) << body;
  }
}

// Found by fuzz/predict_request_fuzz.cpp: a number out of range (1e999) made nlohmann-json throw
// out_of_range, which only parse errors were caught for: the server answered 500 to a bad body.
TEST(PredictRequestTest, ANumberOutOfRangeIs400NotAServerError) {
  const TaskSpec task = parse_task("sst2");
  for (const std::string& body : {std::string(R"({"text": "fine", "n": 1e999})"),
                                  std::string(R"({"text": "x", "n": -1e400})")}) {
    try {
      parse_predict_request(body, task);
      ADD_FAILURE() << "accepted " << body;
    } catch (const RequestError& e) {
      EXPECT_EQ(e.status, 400) << body;
      EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace b2b
