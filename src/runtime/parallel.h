#pragma once
// Running independent chunks of work on a few threads, for the runtime's long inputs.
#include <cstddef>
#include <functional>

namespace b2b {

// Calls work(begin, end) for consecutive chunks of at most `chunk` items covering [0, n).
// With threads <= 1, or a single chunk, everything runs on the calling thread. Otherwise
// `threads` threads take chunks in turn; each first limits BLAS to one thread for itself
// (BLAS's own threads would only compete with the others). The first exception a chunk
// throws is rethrown once all threads are done.
void for_each_chunk(size_t n, size_t chunk, int threads,
                    const std::function<void(size_t, size_t)>& work);

// Makes BLAS calls from this thread single-threaded, where the BLAS in use takes its thread
// count per calling thread (an OpenMP build: omp_set_num_threads, looked up at run time so the
// library does not link OpenMP itself). A no-op elsewhere.
void use_one_blas_thread_here();

}  // namespace b2b
