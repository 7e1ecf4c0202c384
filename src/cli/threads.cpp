// set_threads: the one libtorch call of the command-line helpers (cli/common.h).
#include <torch/torch.h>

#include <thread>

#include "cli/common.h"

namespace b2b::cli {

int set_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  return threads;
}

}  // namespace b2b::cli
