#pragma once
// Running independent chunks of work on a few threads, for the runtime's long inputs.
#include <cstddef>
#include <functional>

namespace b2b {

// Calls work(begin, end) for consecutive chunks of at most `chunk` items covering [0, n).
// With threads <= 1, or a single chunk, everything runs on the calling thread. Otherwise
// `threads` threads take chunks in turn. The first exception a chunk throws is rethrown once
// all threads are done.
void for_each_chunk(size_t n, size_t chunk, int threads,
                    const std::function<void(size_t, size_t)>& work);

// For its scope, makes BLAS calls from this thread single-threaded, where the BLAS in use
// takes its thread count per calling thread (an OpenMP build: omp_set_num_threads, looked up
// at run time so the library does not link OpenMP itself; a no-op elsewhere). The thread's
// setting is restored at the end.
class OneBlasThread {
 public:
  OneBlasThread();
  ~OneBlasThread();
  OneBlasThread(const OneBlasThread&) = delete;
  OneBlasThread& operator=(const OneBlasThread&) = delete;

 private:
  int previous_ = 0;  // 0: nothing to restore
};

}  // namespace b2b
