#pragma once
// Micro-batching for the server: requests that arrive together share one forward pass. A
// request is queued whole; the worker takes queued requests up to max_batch sentences and
// runs them at once. It waits (at most max_wait) for more only while other requests are
// still being parsed, so a lone request is answered at once and a burst is batched.
#include <torch/torch.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "student/batching.h"

namespace b2b {

struct MicroBatcherOptions {
  size_t max_batch = 64;                     // sentences per forward pass
  std::chrono::microseconds max_wait{2000};  // longest wait for a batch to fill
};

struct MicroBatcherStats {
  size_t requests = 0, batches = 0, sentences = 0;
};

class MicroBatcher {
 public:
  // (N, k) logits for N examples, rows in order; called on the worker thread only.
  using Model = std::function<torch::Tensor(const std::vector<EncodedExample>&)>;

  // `on_start` runs first on the worker thread (per-thread settings such as torch's threads).
  MicroBatcher(Model model, MicroBatcherOptions options, std::function<void()> on_start = {});
  ~MicroBatcher();  // answers what is queued, then stops
  MicroBatcher(const MicroBatcher&) = delete;
  MicroBatcher& operator=(const MicroBatcher&) = delete;

  // Says a request is on its way (being parsed), so the worker may wait for it; every
  // announce() must be followed by one submit() or withdraw().
  void announce();
  void withdraw();
  // Blocks until the examples' logits are computed; rethrows the model's exception.
  torch::Tensor submit(std::vector<EncodedExample> examples);

  MicroBatcherStats stats() const;

 private:
  struct Request {
    std::vector<EncodedExample> examples;
    std::promise<torch::Tensor> result;
  };
  using Queue = std::deque<std::shared_ptr<Request>>;

  void loop(const std::function<void()>& on_start);
  Queue take_batch(std::unique_lock<std::mutex>& lock);
  void run_batch(Queue& batch);

  Model model_;
  MicroBatcherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Queue queue_;
  size_t queued_sentences_ = 0;
  size_t arriving_ = 0;  // announced, not yet submitted
  bool stopping_ = false;
  MicroBatcherStats stats_;
  std::thread worker_;
};

}  // namespace b2b
