#pragma once
// One training step's forward and backward with the batch cut into shards, one per worker.
//
// Why: the student's matrix products are small (batch 50, hidden 150). Split across OpenMP
// threads inside every operation, a 2-thread step spent a fifth of its time in barrier waits;
// whole shards on workers of one thread each meet only once, at the step's end.
//
// Exactness: each shard's loss is weighted by its share of the batch's rows, so the shard
// gradients sum to the batch's gradient, up to float rounding. They are summed in shard order,
// so a run is reproducible for a given number of shards; different shard counts differ by
// rounding only. With one shard the step is the plain forward and backward on the caller's
// thread.
#include <functional>
#include <memory>
#include <vector>

#include "runtime/parallel.h"
#include "student/batching.h"
#include "student/model.h"

namespace b2b {

// The loss of one shard's logits, as a mean over the shard's rows.
using ShardLoss = std::function<torch::Tensor(const torch::Tensor& logits, const Batch& shard)>;

class ShardedStep {
 public:
  // `workers` >= 1 threads of one intra-op thread each, the calling thread among them: with
  // more than one worker, libtorch and BLAS run single-threaded on the calling thread for the
  // object's lifetime (an OpenMP team there would spin against the workers), so the caller
  // keeps the object for an epoch's steps and creates and destroys it on one thread.
  ShardedStep(StudentModel model, int workers);
  ~ShardedStep();
  ShardedStep(const ShardedStep&) = delete;
  ShardedStep& operator=(const ShardedStep&) = delete;

  int workers() const { return workers_; }

  // Runs each shard's forward and backward (shard i on worker i; at most workers() shards),
  // leaves the batch's gradient in every trainable parameter's grad() (replacing what was
  // there) and returns the batch's loss. `rows[i]` is shard i's number of examples.
  double run(const std::vector<Batch>& shards, const std::vector<int64_t>& rows,
             const ShardLoss& loss);

 private:
  struct Pool;
  StudentModel model_;
  std::vector<torch::Tensor> params_;  // the trainable parameters
  int workers_;
  std::unique_ptr<Pool> pool_;                 // null with one worker
  std::unique_ptr<OneBlasThread> caller_one_;  // the calling thread's, with several workers
};

// The shards of a batch: `indices` cut into at most `shards` consecutive runs of (nearly)
// equal size, none empty.
std::vector<std::vector<size_t>> cut_into_shards(const std::vector<size_t>& indices, int shards);

}  // namespace b2b
