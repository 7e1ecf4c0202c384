#include "teacher/data_parallel.h"

#include <cstdlib>

#include "util/error.h"

#ifdef B2B_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace b2b {

namespace {
const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}
int env_int(const char* name) {
  try {
    return std::stoi(env(name));
  } catch (const std::exception&) {
    throw Error(std::string(name) + " is '" + env(name) + "', not a number");
  }
}
}  // namespace

#ifdef B2B_WITH_GLOO
struct DataParallel::Group {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
};
#else
struct DataParallel::Group {};
#endif

std::unique_ptr<DataParallel> DataParallel::from_environment() {
  int rank = 0, world = 1;
  if (env("WORLD_SIZE") || env("RANK")) {
    if (!env("WORLD_SIZE") || !env("RANK")) throw Error("set both RANK and WORLD_SIZE, or neither");
    rank = env_int("RANK");
    world = env_int("WORLD_SIZE");
  } else if (env("SLURM_NTASKS") && env("SLURM_PROCID")) {
    rank = env_int("SLURM_PROCID");
    world = env_int("SLURM_NTASKS");
  }
  if (world <= 1) return nullptr;
  if (rank < 0 || rank >= world) throw Error("RANK must lie in 0..WORLD_SIZE-1");
  const std::string address = env("MASTER_ADDR") ? env("MASTER_ADDR") : "127.0.0.1";
  const int port = env("MASTER_PORT") ? env_int("MASTER_PORT") : 29500;
  auto group = std::unique_ptr<DataParallel>(new DataParallel(rank, world, address, port));
  group->local_rank_ = env("LOCAL_RANK")      ? env_int("LOCAL_RANK")
                       : env("SLURM_LOCALID") ? env_int("SLURM_LOCALID")
                                              : rank;
  return group;
}

DataParallel::DataParallel(int rank, int world, const std::string& address, int port)
    : rank_(rank), world_(world), address_(address), port_(port) {
#ifdef B2B_WITH_GLOO
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(port);
  store_options.isServer = rank == 0;
  store_options.numWorkers = world;
  auto store = c10::make_intrusive<c10d::TCPStore>(address, store_options);
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  group_ = std::make_unique<Group>();
  group_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
#else
  throw Error("WORLD_SIZE is " + std::to_string(world) +
              ", but this build has no data-parallel training (install libgloo-dev: "
              "scripts/setup.sh, and rebuild)");
#endif
}

DataParallel::~DataParallel() = default;

std::string DataParallel::describe() const {
  return "rank " + std::to_string(rank_) + " of " + std::to_string(world_) + " (Gloo, " + address_ +
         ":" + std::to_string(port_) + ")";
}

std::vector<size_t> DataParallel::local_rows(const std::vector<size_t>& rows) const {
  const size_t n = rows.size(), w = static_cast<size_t>(world_), r = static_cast<size_t>(rank_);
  return std::vector<size_t>(rows.begin() + n * r / w, rows.begin() + n * (r + 1) / w);
}

void DataParallel::sum_gradients(const std::vector<torch::Tensor>& parameters,
                                 torch::Tensor& extra) {
#ifdef B2B_WITH_GLOO
  // One buffer for every gradient and the extra value: one allreduce per step.
  std::vector<torch::Tensor> pieces;
  for (const auto& p : parameters)
    pieces.push_back(p.grad().defined() ? p.grad().reshape(-1)
                                        : torch::zeros({p.numel()}, p.options()));
  pieces.push_back(extra.reshape(-1));
  // Gloo reduces host memory here: gradients on a GPU travel through the CPU and back.
  std::vector<torch::Tensor> buffer = {torch::cat(pieces).to(torch::kCPU)};
  group_->gloo->allreduce(buffer)->wait();
  int64_t offset = 0;
  for (const auto& p : parameters) {
    auto summed = buffer[0].narrow(0, offset, p.numel()).view_as(p);
    if (p.grad().defined())
      p.mutable_grad().copy_(summed);
    else
      p.mutable_grad() = summed.to(p.device(), /*non_blocking=*/false, /*copy=*/true);
    offset += p.numel();
  }
  extra.copy_(buffer[0].narrow(0, offset, extra.numel()).view_as(extra));
#else
  (void)parameters;
  (void)extra;
#endif
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
#ifdef B2B_WITH_GLOO
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<torch::Tensor> one = {t.detach().to(torch::kCPU)};  // itself on the CPU
    group_->gloo->broadcast(one)->wait();
    if (!t.device().is_cpu()) t.detach().copy_(one[0]);
  }
#else
  (void)tensors;
#endif
}

void DataParallel::barrier() {
#ifdef B2B_WITH_GLOO
  group_->gloo->barrier()->wait();
#endif
}

}  // namespace b2b
