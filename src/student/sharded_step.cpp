#include "student/sharded_step.h"

#include <ATen/Parallel.h>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "util/error.h"

namespace b2b {

namespace {
// One intra-op thread for the calling thread, for libtorch and BLAS alike: in an OpenMP
// build both read the thread's OpenMP setting. libtorch sets that setting on the thread's
// first parallel operation, so that happens first, or it would undo ours later.
std::unique_ptr<OneBlasThread> one_intra_op_thread() {
  at::internal::lazy_init_num_threads();
  return std::make_unique<OneBlasThread>();
}
}  // namespace

// Workers 1..n-1 wait for a step's task; the calling thread is worker 0.
struct ShardedStep::Pool {
  std::mutex mutex;
  std::condition_variable wake, finished;
  uint64_t generation = 0;  // one per step
  int pending = 0;          // workers still running this step's task
  bool stop = false;
  std::function<void(int)> task;
  std::vector<std::thread> threads;

  void work(int worker) {
    const auto one_thread = one_intra_op_thread();
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stop || generation != seen; });
      if (stop) return;
      seen = generation;
      lock.unlock();
      task(worker);
      lock.lock();
      if (--pending == 0) finished.notify_one();
    }
  }
};

ShardedStep::ShardedStep(StudentModel model, int workers)
    : model_(std::move(model)), workers_(std::max(1, workers)) {
  for (auto& p : model_->parameters()) {
    if (p.requires_grad()) params_.push_back(p);  // a frozen embedding table gets no gradient
  }
  if (workers_ == 1) return;
  caller_one_ = one_intra_op_thread();
  pool_ = std::make_unique<Pool>();
  for (int w = 1; w < workers_; ++w) pool_->threads.emplace_back([this, w] { pool_->work(w); });
}

ShardedStep::~ShardedStep() {
  if (!pool_) return;
  {
    std::lock_guard<std::mutex> lock(pool_->mutex);
    pool_->stop = true;
  }
  pool_->wake.notify_all();
  for (auto& thread : pool_->threads) thread.join();
}

double ShardedStep::run(const std::vector<Batch>& shards, const std::vector<int64_t>& rows,
                        const ShardLoss& loss) {
  const int n = static_cast<int>(shards.size());
  if (n < 1 || n > workers_ || rows.size() != shards.size())
    throw Error("sharded step: " + std::to_string(n) + " shards for " + std::to_string(workers_) +
                " workers");
  int64_t total = 0;
  for (int64_t r : rows) total += r;

  std::vector<std::vector<torch::Tensor>> grads(n);
  std::vector<double> losses(n, 0.0);
  std::vector<std::exception_ptr> errors(n);
  auto task = [&](int i) {
    if (i >= n) return;
    try {
      const double share = static_cast<double>(rows[i]) / static_cast<double>(total);
      torch::Tensor l = loss(model_->forward(shards[i]), shards[i]);
      losses[i] = l.item<double>() * share;
      grads[i] = torch::autograd::grad({l * share}, params_, {}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  if (n == 1) {
    task(0);
  } else {
    {
      std::lock_guard<std::mutex> lock(pool_->mutex);
      pool_->task = task;
      pool_->pending = workers_ - 1;
      ++pool_->generation;
    }
    pool_->wake.notify_all();
    task(0);
    std::unique_lock<std::mutex> lock(pool_->mutex);
    pool_->finished.wait(lock, [&] { return pool_->pending == 0; });
    pool_->task = nullptr;
  }
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }

  torch::NoGradGuard no_grad;
  double batch_loss = 0;
  for (int i = 0; i < n; ++i) batch_loss += losses[i];
  for (size_t p = 0; p < params_.size(); ++p) {
    torch::Tensor sum;
    for (int i = 0; i < n; ++i) {
      const torch::Tensor& g = grads[i][p];
      if (g.defined()) sum = sum.defined() ? sum + g : g;
    }
    params_[p].mutable_grad() = sum;
  }
  return batch_loss;
}

std::vector<std::vector<size_t>> cut_into_shards(const std::vector<size_t>& indices, int shards) {
  const size_t n = indices.size();
  const size_t k = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(shards), n));
  std::vector<std::vector<size_t>> out;
  for (size_t s = 0; s < k; ++s) {
    const size_t begin = n * s / k, end = n * (s + 1) / k;
    out.emplace_back(indices.begin() + static_cast<std::ptrdiff_t>(begin),
                     indices.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return out;
}

}  // namespace b2b
