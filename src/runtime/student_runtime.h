#pragma once
// The student's forward pass on CBLAS, without libtorch: what eval, predict, serve and the
// public API run. It computes what student/model.h computes in eval mode (no dropout), from
// the same model.safetensors:
//   - the input projections x W_ih^T of every token: looked up in a table of every vocabulary
//     word's projections made at load (the default), or the word vectors gathered (both tables
//     side by side for multichannel) and projected with one GEMM per block of time steps;
//   - per LSTM direction,
//     per time step one small GEMM for the recurrent projections of the sequences still
//     running (sequences sorted longest first, so they are a prefix of the rows), and the gate
//     nonlinearities and cell update fused in one pass; no padding is ever computed;
//   - the last state of each direction, the pair features [h1, h2, h1*h2, |h1-h2|] for pair
//     tasks, then the ReLU layer and the output layer as GEMMs.
//
// Thread safety: a StudentRuntime is immutable once built. Any number of threads may call
// logits() on one runtime at the same time; each thread has its own scratch space. A call runs
// BLAS single-threaded (an OpenMP BLAS's setting for the calling thread is restored after).
#include <cstdint>
#include <vector>

#include "io/safetensors_bytes.h"
#include "student/config.h"

namespace b2b {

struct RuntimeOptions {
  // Precompute every vocabulary word's input projections (vocab x 8H floats, 77 MB for an
  // SST-2 student of 16k words) instead of keeping the word vectors (vocab x E) and projecting
  // each token: two thirds of the work gone. Skipped when the table would exceed the limit.
  bool project_vocabulary = true;
  size_t max_projection_bytes = size_t{1} << 30;
};

class StudentRuntime {
 public:
  // Reads the parameters the libtorch model saves (same names and shapes); throws Error
  // naming the weights file for a missing tensor or a wrong shape.
  StudentRuntime(const StudentConfig& config, const SafetensorsReader& weights,
                 const RuntimeOptions& options = {});

  const StudentConfig& config() const { return config_; }
  int num_labels() const { return static_cast<int>(config_.num_labels()); }
  // As StudentModel::count_parameters: LSTM biases counted twice (b_ih and b_hh).
  int64_t parameters(bool with_embeddings) const { return parameters_[with_embeddings]; }
  bool projects_vocabulary() const { return !forward_.projected.empty(); }

  // Logits (n x k, row-major, rows in the order given) for n examples: a[i] the word ids of
  // the first sentence, b[i] those of the second (pair models; ignored otherwise). Every
  // sequence has length >= 1 and ids in [0, vocab_size) (checked: Error otherwise).
  void logits(const std::vector<const std::vector<int64_t>*>& a,
              const std::vector<const std::vector<int64_t>*>& b, float* out) const;

 private:
  struct Direction {
    std::vector<float> w_ih;       // (4H, input), gates i, f, g, o as PyTorch orders them
    std::vector<float> w_hh_t;     // (H, 4H): W_hh transposed
    std::vector<float> bias;       // (4H): b_ih + b_hh
    std::vector<float> projected;  // (V, 4H): each word's x W_ih^T, when precomputed
  };
  // The final states of both directions for each sequence: n rows of 2H floats, written at
  // out + i * stride for sequence i.
  void encode(const std::vector<const std::vector<int64_t>*>& sequences, float* out,
              size_t stride) const;
  void gather(int64_t id, float* row) const;
  void check_id(int64_t id) const;

  StudentConfig config_;
  int64_t input_ = 0, hidden_ = 0;
  std::vector<float> embedding_, embedding_static_;  // (V, E) each; empty when the mode lacks it
  Direction forward_, backward_;
  std::vector<float> w1_, b1_;  // (F, features), (F)
  std::vector<float> w2_, b2_;  // (k, F), (k)
  int64_t parameters_[2] = {0, 0};
};

}  // namespace b2b
