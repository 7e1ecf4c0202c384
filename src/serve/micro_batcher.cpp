#include "serve/micro_batcher.h"

namespace b2b {

MicroBatcher::MicroBatcher(Model model, MicroBatcherOptions options, BatchObserver on_batch)
    : model_(std::move(model)), options_(options), on_batch_(std::move(on_batch)) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  for (int w = 0; w < std::max(1, options_.workers); ++w) workers_.emplace_back([this] { loop(); });
}

MicroBatcher::~MicroBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void MicroBatcher::client_connected() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++clients_;
}

void MicroBatcher::client_disconnected() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (clients_ > 0) --clients_;
  }
  changed_.notify_all();
}

std::vector<float> MicroBatcher::submit(std::vector<EncodedExample> examples) {
  auto result = std::make_shared<std::promise<std::vector<float>>>();
  auto answer = result->get_future();
  submit(std::move(examples), [result](std::vector<float> logits, std::exception_ptr error) {
    if (error) {
      result->set_exception(error);
    } else {
      result->set_value(std::move(logits));
    }
  });
  return answer.get();
}

void MicroBatcher::submit(std::vector<EncodedExample> examples, Done done) {
  auto request = std::make_shared<Request>();
  request->examples = std::move(examples);
  request->done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_sentences_ += request->examples.size();
    queue_.push_back(std::move(request));
  }
  changed_.notify_all();
}

MicroBatcherStats MicroBatcher::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  MicroBatcherStats now = stats_;
  now.queued_sentences = queued_sentences_;
  now.clients = clients_;
  return now;
}

// Called with the lock held and the queue non-empty. A batch is at most max_batch sentences
// and, with several workers, about an equal share of the clients' requests (so that all
// workers have work). It waits while the batch is short of that and some client has no
// request queued or computing, then takes whole requests (at least one, however large).
MicroBatcher::Queue MicroBatcher::take_batch(std::unique_lock<std::mutex>& lock) {
  const size_t workers = workers_.size();
  const size_t share = std::max<size_t>(1, (clients_ + workers - 1) / workers);  // requests
  const auto deadline = std::chrono::steady_clock::now() + options_.max_wait;
  changed_.wait_until(lock, deadline, [&] {
    return stopping_ || queue_.empty() || queued_sentences_ >= options_.max_batch ||
           queue_.size() >= share || queue_.size() + computing_ >= clients_;
  });
  Queue batch;
  if (queue_.empty()) return batch;  // another worker took them
  size_t sentences = 0;
  while (!queue_.empty() && batch.size() < share &&
         (batch.empty() || sentences + queue_.front()->examples.size() <= options_.max_batch)) {
    sentences += queue_.front()->examples.size();
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_sentences_ -= sentences;
  computing_ += batch.size();
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
  std::vector<float> logits;
  std::exception_ptr error;
  try {
    const auto start = std::chrono::steady_clock::now();
    logits = model_(examples);
    if (on_batch_) {
      on_batch_(examples.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  } catch (...) {
    error = std::current_exception();
  }
  // Each request's rows; what `done` throws is its own (it must not stop the worker).
  const size_t k = error || examples.empty() ? 0 : logits.size() / examples.size();
  auto row = logits.begin();
  for (auto& request : batch) {
    const auto end = error ? row : row + static_cast<ptrdiff_t>(request->examples.size() * k);
    try {
      request->done(error ? std::vector<float>{} : std::vector<float>(row, end), error);
    } catch (...) {
    }
    // What `done` holds (a connection, say) is let go here, without the lock: its destructor
    // may call back (client_disconnected).
    request->done = nullptr;
    row = end;
  }
}

void MicroBatcher::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left to answer
    Queue batch = take_batch(lock);
    if (batch.empty()) continue;  // another worker took them while this one waited
    lock.unlock();
    run_batch(batch);
    lock.lock();
    computing_ -= batch.size();
    changed_.notify_all();
  }
}

}  // namespace b2b
