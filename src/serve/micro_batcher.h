#pragma once
// Micro-batching for the server: requests that arrive together share one forward pass. A
// request is queued whole; the worker takes queued requests up to max_batch sentences and
// runs them at once. It waits (at most max_wait) until every client (open connection) has a
// request queued or being computed, so a lone client is answered at once and many clients
// share batches. Several workers compute batches side by side: small single-threaded
// forward passes in parallel use the cores better than one pass split across threads.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "student/encoding.h"

namespace b2b {

struct MicroBatcherOptions {
  size_t max_batch = 64;                     // sentences per forward pass
  std::chrono::microseconds max_wait{2000};  // longest wait for a batch to fill
  int workers = 1;                           // batches computed at once
};

struct MicroBatcherStats {
  size_t requests = 0, batches = 0, sentences = 0;
  size_t queued_sentences = 0, clients = 0;  // now
};

class MicroBatcher {
 public:
  // Logits for N examples, N rows of k floats in order; called on the worker threads only.
  using Model = std::function<std::vector<float>(const std::vector<EncodedExample>&)>;

  // Hears each forward pass's sentences and seconds (metrics); called on a worker thread.
  using BatchObserver = std::function<void(size_t sentences, double seconds)>;

  MicroBatcher(Model model, MicroBatcherOptions options, BatchObserver on_batch = {});
  ~MicroBatcher();  // answers what is queued, then stops
  MicroBatcher(const MicroBatcher&) = delete;
  MicroBatcher& operator=(const MicroBatcher&) = delete;

  // Clients that may send a request now (the server counts open connections).
  void client_connected();
  void client_disconnected();
  // Blocks until the examples' logits (rows of k) are computed; rethrows the model's
  // exception.
  std::vector<float> submit(std::vector<EncodedExample> examples);
  // Returns at once; `done` gets the logits (or the model's exception, and no logits) on a
  // worker thread once they are computed.
  using Done = std::function<void(std::vector<float> logits, std::exception_ptr error)>;
  void submit(std::vector<EncodedExample> examples, Done done);

  MicroBatcherStats stats() const;

 private:
  struct Request {
    std::vector<EncodedExample> examples;
    Done done;
  };
  using Queue = std::deque<std::shared_ptr<Request>>;

  void loop();
  Queue take_batch(std::unique_lock<std::mutex>& lock);
  void run_batch(Queue& batch);

  Model model_;
  MicroBatcherOptions options_;
  BatchObserver on_batch_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Queue queue_;
  size_t queued_sentences_ = 0;
  size_t clients_ = 0;
  size_t computing_ = 0;  // requests in a forward pass now
  bool stopping_ = false;
  MicroBatcherStats stats_;
  std::vector<std::thread> workers_;
};

}  // namespace b2b
