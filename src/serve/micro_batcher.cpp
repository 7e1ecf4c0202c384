#include "serve/micro_batcher.h"

namespace b2b {

MicroBatcher::MicroBatcher(Model model, MicroBatcherOptions options, std::function<void()> on_start)
    : model_(std::move(model)), options_(options) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  worker_ = std::thread([this, on_start = std::move(on_start)] { loop(on_start); });
}

MicroBatcher::~MicroBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void MicroBatcher::announce() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++arriving_;
}

void MicroBatcher::withdraw() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (arriving_ > 0) --arriving_;
  }
  changed_.notify_all();
}

torch::Tensor MicroBatcher::submit(std::vector<EncodedExample> examples) {
  auto request = std::make_shared<Request>();
  request->examples = std::move(examples);
  auto result = request->result.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (arriving_ > 0) --arriving_;
    queued_sentences_ += request->examples.size();
    queue_.push_back(std::move(request));
  }
  changed_.notify_all();
  return result.get();
}

MicroBatcherStats MicroBatcher::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

// Called with the lock held and the queue non-empty. Waits while the batch can still grow
// and a request is being parsed, then takes whole requests up to max_batch sentences (at
// least one request, however large).
MicroBatcher::Queue MicroBatcher::take_batch(std::unique_lock<std::mutex>& lock) {
  const auto deadline = std::chrono::steady_clock::now() + options_.max_wait;
  changed_.wait_until(lock, deadline, [&] {
    return stopping_ || queued_sentences_ >= options_.max_batch || arriving_ == 0;
  });
  Queue batch;
  size_t sentences = 0;
  while (!queue_.empty() &&
         (batch.empty() || sentences + queue_.front()->examples.size() <= options_.max_batch)) {
    sentences += queue_.front()->examples.size();
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_sentences_ -= sentences;
  ++stats_.batches;
  stats_.requests += batch.size();
  stats_.sentences += sentences;
  return batch;
}

void MicroBatcher::run_batch(Queue& batch) {
  std::vector<EncodedExample> examples;
  for (const auto& request : batch) {
    examples.insert(examples.end(), request->examples.begin(), request->examples.end());
  }
  try {
    const torch::Tensor logits = model_(examples);
    int64_t row = 0;
    for (auto& request : batch) {
      const auto n = static_cast<int64_t>(request->examples.size());
      request->result.set_value(logits.slice(0, row, row + n).clone());
      row += n;
    }
  } catch (...) {
    for (auto& request : batch) request->result.set_exception(std::current_exception());
  }
}

void MicroBatcher::loop(const std::function<void()>& on_start) {
  if (on_start) on_start();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left to answer
    Queue batch = take_batch(lock);
    lock.unlock();
    run_batch(batch);
    lock.lock();
  }
}

}  // namespace b2b
