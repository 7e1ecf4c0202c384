#pragma once
// Data-parallel training on libtorch's own distributed runtime (c10d process groups over Gloo),
// for processes launched the way torchrun or srun launch them. Each process computes its slice
// of every global batch; gradients are summed across processes before each optimizer step, so
// every process takes the same step a single process would take on the whole batch.
// On GPUs each process takes its node-local rank's device, and the reductions go through the
// host (device -> CPU -> Gloo -> device): one copy of the gradients each way per step, which is
// what a build without NCCL can do (Debian's libtorch has no CUDA, so no NCCL).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace b2b {

class DataParallel {
 public:
  // From RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (torchrun), else SLURM_PROCID and
  // SLURM_NTASKS (srun; MASTER_ADDR and MASTER_PORT default to 127.0.0.1:29500). Null when the
  // environment names no group of more than one process. Throws Error for a half-set or bad
  // environment, or a build without Gloo.
  static std::unique_ptr<DataParallel> from_environment();
  ~DataParallel();

  int rank() const { return rank_; }
  // The rank among this node's processes: LOCAL_RANK (torchrun), else SLURM_LOCALID (srun),
  // else the rank (one node).
  int local_rank() const { return local_rank_; }
  int world() const { return world_; }
  bool is_main() const { return rank_ == 0; }
  std::string describe() const;

  // This process's rows of a global batch: a contiguous slice, the same split on every rank.
  std::vector<size_t> local_rows(const std::vector<size_t>& rows) const;
  // Sums the parameters' gradients (and `extra`, say the loss) over the processes, in place.
  // Each process's loss must already be divided by the global batch size.
  void sum_gradients(const std::vector<torch::Tensor>& parameters, torch::Tensor& extra);
  // Rank 0's values everywhere (the initial weights).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  void barrier();

 private:
  DataParallel(int rank, int world, const std::string& address, int port);
  struct Group;
  std::unique_ptr<Group> group_;
  int rank_ = 0, world_ = 1, local_rank_ = 0;
  std::string address_;
  int port_ = 0;
};

}  // namespace b2b
