#include "runtime/parallel.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace b2b {

namespace {
using SetThreads = void (*)(int);
using GetThreads = int (*)();
const auto omp_set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
const auto omp_get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
}  // namespace

OneBlasThread::OneBlasThread() {
  if (!omp_set || !omp_get) return;
  previous_ = omp_get();
  if (previous_ != 1) omp_set(1);
}

OneBlasThread::~OneBlasThread() {
  if (previous_ > 1) omp_set(previous_);
}

void for_each_chunk(size_t n, size_t chunk, int threads,
                    const std::function<void(size_t, size_t)>& work) {
  chunk = std::max<size_t>(chunk, 1);
  const size_t chunks = (n + chunk - 1) / chunk;
  if (threads <= 1 || chunks <= 1) {
    for (size_t begin = 0; begin < n; begin += chunk) work(begin, std::min(n, begin + chunk));
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto loop = [&] {
    for (size_t c; (c = next++) < chunks;) {
      try {
        work(c * chunk, std::min(n, (c + 1) * chunk));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = chunks;  // stop handing out work
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < std::min<size_t>(static_cast<size_t>(threads), chunks); ++t)
    pool.emplace_back(loop);
  for (auto& thread : pool) thread.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace b2b
