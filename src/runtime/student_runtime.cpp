#include "runtime/student_runtime.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "runtime/parallel.h"
#include "util/error.h"

namespace b2b {

namespace {

// Rows of gates computed per block of time steps (at least one whole step per block): a long
// batch never holds every token's gates in memory, and a block's gates stay in the L2 cache
// (2,048 rows were 10-15% slower on SST-2 dev than 128-256).
constexpr size_t kBlockRows = 256;

// C (m x n) = A (m x k) * B^T + beta * C, with B stored (n x k) row-major as PyTorch stores
// Linear and LSTM weights.
void gemm_bt(size_t m, size_t n, size_t k, const float* a, const float* b, float beta, float* c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), 1.0f, a, static_cast<int>(k), b, static_cast<int>(k), beta, c,
              static_cast<int>(n));
}

// C (m x n) = A (m x k) * B + beta * C, with B stored (k x n) row-major: the recurrent weights,
// kept transposed, as for a few rows (batch 1, the last steps of a batch) OpenBLAS's kernels
// for this layout are the faster ones.
void gemm_bn(size_t m, size_t n, size_t k, const float* a, const float* b, float beta, float* c) {
  if (m == 1) {
    cblas_sgemv(CblasRowMajor, CblasTrans, static_cast<int>(k), static_cast<int>(n), 1.0f, b,
                static_cast<int>(n), a, 1, beta, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), 1.0f, a, static_cast<int>(k), b, static_cast<int>(n), beta, c,
              static_cast<int>(n));
}

// tanh as a rational function (the minimax approximation Eigen and TensorFlow use), written
// so that the compiler vectorizes it: libm's tanhf and expf, one value at a time, took more
// time than the GEMMs. Its error (a few float ulps) is far below the 1e-5 the tests allow.
inline float fast_tanh(float x) {
  x = std::min(9.0f, std::max(-9.0f, x));
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 - 8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return x * p / q;
}

// One LSTM step for m rows: gates (m x 4H) hold x W_ih^T + h W_hh^T; adds the biases, applies
// the nonlinearities (sigmoid(x) = (1 + tanh(x / 2)) / 2) and updates c and h (m x H) in place.
// Built for several instruction sets; the loader picks the best this processor has.
__attribute__((target_clones("avx512f", "avx2", "default"))) void lstm_cell(size_t m, size_t hidden,
                                                                            float* gates,
                                                                            const float* bias,
                                                                            float* c, float* h) {
  const size_t H = hidden;
  for (size_t r = 0; r < m; ++r) {
    float* g = gates + r * 4 * H;
    float* cr = c + r * H;
    float* hr = h + r * H;
    for (size_t j = 0; j < 2 * H; ++j) g[j] = 0.5f + 0.5f * fast_tanh(0.5f * (g[j] + bias[j]));
    for (size_t j = 2 * H; j < 3 * H; ++j) g[j] = fast_tanh(g[j] + bias[j]);
    for (size_t j = 3 * H; j < 4 * H; ++j) g[j] = 0.5f + 0.5f * fast_tanh(0.5f * (g[j] + bias[j]));
    const float* i = g;
    const float* f = g + H;
    const float* u = g + 2 * H;
    const float* o = g + 3 * H;
    for (size_t j = 0; j < H; ++j) {
      cr[j] = f[j] * cr[j] + i[j] * u[j];
      hr[j] = o[j] * fast_tanh(cr[j]);
    }
  }
}

}  // namespace

StudentRuntime::StudentRuntime(const StudentConfig& config, const SafetensorsReader& weights,
                               const RuntimeOptions& options)
    : config_(config), input_(config.lstm_input_size()), hidden_(config.hidden_size) {
  const int64_t V = config.vocab_size, E = config.embedding_dim, H = hidden_;
  const auto mode = config.embedding_mode;
  if (mode != EmbeddingMode::kStatic) embedding_ = weights.floats("embedding.weight", {V, E});
  if (mode == EmbeddingMode::kStatic || mode == EmbeddingMode::kMultichannel)
    embedding_static_ = weights.floats("embedding_static.weight", {V, E});
  for (const bool reverse : {false, true}) {
    const std::string suffix = reverse ? "_l0_reverse" : "_l0";
    Direction& d = reverse ? backward_ : forward_;
    d.w_ih = weights.floats("lstm.weight_ih" + suffix, {4 * H, input_});
    const std::vector<float> w_hh = weights.floats("lstm.weight_hh" + suffix, {4 * H, H});
    d.w_hh_t.resize(w_hh.size());
    for (int64_t r = 0; r < 4 * H; ++r)
      for (int64_t c = 0; c < H; ++c) d.w_hh_t[c * 4 * H + r] = w_hh[r * H + c];
    d.bias = weights.floats("lstm.bias_ih" + suffix, {4 * H});
    const std::vector<float> b_hh = weights.floats("lstm.bias_hh" + suffix, {4 * H});
    for (size_t j = 0; j < d.bias.size(); ++j) d.bias[j] += b_hh[j];
  }
  const int64_t features = (config.task.is_pair() ? 8 : 2) * H, F = config.fc_size;
  const int64_t k = config.num_labels();
  w1_ = weights.floats("hidden.weight", {F, features});
  b1_ = weights.floats("hidden.bias", {F});
  w2_ = weights.floats("output.weight", {k, F});
  b2_ = weights.floats("output.bias", {k});

  int64_t total = w1_.size() + b1_.size() + w2_.size() + b2_.size();
  for (const Direction* d : {&forward_, &backward_})
    total += d->w_ih.size() + d->w_hh_t.size() + 2 * d->bias.size();
  parameters_[0] = total;
  parameters_[1] = total + embedding_.size() + embedding_static_.size();

  const size_t table_bytes = 2 * V * 4 * H * sizeof(float);
  if (options.project_vocabulary && table_bytes <= options.max_projection_bytes) {
    // Every word's vector through W_ih once, in slices of the vocabulary; the word vectors and
    // W_ih are not needed after that.
    std::vector<float> x;
    for (Direction* d : {&forward_, &backward_}) d->projected.resize(V * 4 * H);
    for (int64_t begin = 0; begin < V; begin += kBlockRows) {
      const int64_t rows = std::min<int64_t>(kBlockRows, V - begin);
      x.resize(rows * input_);
      for (int64_t r = 0; r < rows; ++r) gather(begin + r, x.data() + r * input_);
      for (Direction* d : {&forward_, &backward_}) {
        gemm_bt(rows, 4 * H, input_, x.data(), d->w_ih.data(), 0.0f,
                d->projected.data() + begin * 4 * H);
      }
    }
    for (Direction* d : {&forward_, &backward_}) std::vector<float>().swap(d->w_ih);
    std::vector<float>().swap(embedding_);
    std::vector<float>().swap(embedding_static_);
  }
}

void StudentRuntime::check_id(int64_t id) const {
  if (id < 0 || id >= config_.vocab_size) {
    throw Error("word id " + std::to_string(id) + " is outside the vocabulary of " +
                std::to_string(config_.vocab_size));
  }
}

void StudentRuntime::gather(int64_t id, float* row) const {
  check_id(id);
  const size_t E = config_.embedding_dim;
  // Multichannel concatenates [static, trained], as the libtorch model does.
  if (!embedding_static_.empty()) {
    std::memcpy(row, embedding_static_.data() + id * E, E * sizeof(float));
    row += E;
  }
  if (!embedding_.empty()) std::memcpy(row, embedding_.data() + id * E, E * sizeof(float));
}

void StudentRuntime::encode(const std::vector<const std::vector<int64_t>*>& sequences, float* out,
                            size_t stride) const {
  const size_t n = sequences.size(), H = hidden_, G = 4 * H, in = input_;
  if (n == 0) return;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return sequences[x]->size() > sequences[y]->size(); });
  const size_t steps = sequences[order[0]]->size();
  if (sequences[order[n - 1]]->empty()) throw Error("a sequence has no word ids");
  // active[t]: the sequences longer than t, a prefix of `order`.
  std::vector<size_t> active(steps);
  for (size_t t = 0, r = n; t < steps; ++t) {
    while (r > 0 && sequences[order[r - 1]]->size() <= t) --r;
    active[t] = r;
  }

  // Scratch space stays with the thread between calls: a fresh block of megabytes per call
  // costs page faults, which showed in profiles of short calls.
  thread_local std::vector<float> state, x, gates;
  state.assign(4 * n * H, 0.0f);  // h and c of each direction
  float* h[2] = {state.data(), state.data() + n * H};
  float* c[2] = {state.data() + 2 * n * H, state.data() + 3 * n * H};
  const Direction* direction[2] = {&forward_, &backward_};
  for (size_t t0 = 0; t0 < steps;) {
    size_t t1 = t0, rows = 0;
    while (t1 < steps && (t1 == t0 || rows + active[t1] <= kBlockRows)) rows += active[t1++];
    gates.resize(2 * rows * G);
    // Row order inside a block: step by step, then by sequence. The forward direction reads
    // word t of each sequence, the backward direction word (length - 1 - t).
    const bool projected = projects_vocabulary();
    if (!projected) x.resize(2 * rows * in);
    for (size_t t = t0, row = 0; t < t1; ++t) {
      for (size_t r = 0; r < active[t]; ++r, ++row) {
        const std::vector<int64_t>& seq = *sequences[order[r]];
        const int64_t ids[2] = {seq[t], seq[seq.size() - 1 - t]};
        for (int d = 0; d < 2; ++d) {
          if (projected) {
            check_id(ids[d]);
            std::memcpy(gates.data() + (d * rows + row) * G,
                        direction[d]->projected.data() + ids[d] * G, G * sizeof(float));
          } else {
            gather(ids[d], x.data() + (d * rows + row) * in);
          }
        }
      }
    }
    for (int d = 0; d < 2; ++d) {
      float* g = gates.data() + d * rows * G;
      if (!projected)
        gemm_bt(rows, G, in, x.data() + d * rows * in, direction[d]->w_ih.data(), 0.0f, g);
      for (size_t t = t0; t < t1; ++t) {
        const size_t m = active[t];
        // At t = 0 the state is zero: no recurrent term.
        if (t > 0) gemm_bn(m, G, H, h[d], direction[d]->w_hh_t.data(), 1.0f, g);
        lstm_cell(m, H, g, direction[d]->bias.data(), c[d], h[d]);
        g += m * G;
      }
    }
    t0 = t1;
  }
  // A sequence's rows stop changing once it ends: h holds its last state.
  for (size_t r = 0; r < n; ++r) {
    float* row = out + order[r] * stride;
    std::memcpy(row, h[0] + r * H, H * sizeof(float));
    std::memcpy(row + H, h[1] + r * H, H * sizeof(float));
  }
}

void StudentRuntime::logits(const std::vector<const std::vector<int64_t>*>& a,
                            const std::vector<const std::vector<int64_t>*>& b, float* out) const {
  const size_t n = a.size(), H = hidden_, F = config_.fc_size;
  const size_t k = static_cast<size_t>(num_labels());
  if (n == 0) return;
  // BLAS single-threaded here (the caller's setting comes back after): these GEMMs are too
  // small to split, and callers with more threads run several forward passes at once.
  const OneBlasThread one_blas_thread;
  const bool pair = config_.task.is_pair();
  if (pair && b.size() != n) throw Error("a pair model needs a second sentence for every example");
  const size_t width = (pair ? 8 : 2) * H;
  std::vector<float> features(n * width);
  encode(a, features.data(), width);
  if (pair) {
    encode(b, features.data() + 2 * H, width);
    for (size_t i = 0; i < n; ++i) {
      float* row = features.data() + i * width;
      for (size_t j = 0; j < 2 * H; ++j) {
        row[4 * H + j] = row[j] * row[2 * H + j];
        row[6 * H + j] = std::fabs(row[j] - row[2 * H + j]);
      }
    }
  }
  std::vector<float> hidden(n * F);
  for (size_t i = 0; i < n; ++i) std::memcpy(&hidden[i * F], b1_.data(), F * sizeof(float));
  gemm_bt(n, F, width, features.data(), w1_.data(), 1.0f, hidden.data());
  for (float& v : hidden) v = std::max(v, 0.0f);
  for (size_t i = 0; i < n; ++i) std::memcpy(out + i * k, b2_.data(), k * sizeof(float));
  gemm_bt(n, k, F, hidden.data(), w2_.data(), 1.0f, out);
}

}  // namespace b2b
