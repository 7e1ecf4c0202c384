#pragma once
// The student's BiLSTM layer for training: the last state of each direction of a one-layer
// bidirectional torch::nn::LSTM over padded sequences, computed from the module's own
// parameters with libtorch operations (so libtorch's autograd does the backward pass), equal
// to the module over packed sequences up to float rounding (tests/test_student_model.cpp).
//
// Why not the module itself: only the last states are needed, and ATen's packed path runs each
// direction as its own sequence of cell operations, keeps every step's output and
// concatenates them. Here:
//   - the input projections are computed once per distinct word of the batch, not per token
//     (a batch of short sentences repeats its function words), for both directions in one
//     matrix product, then gathered per token;
//   - the backward direction reads each sentence from its last word, so at every time step
//     both directions hold the same sentences (those still running, longest first: a prefix of
//     the batch) and share one batched matrix product and one set of gate operations;
//   - a sentence's state is kept when it ends; no outputs are stored.
#include <torch/torch.h>

#include <functional>

namespace b2b {

// embed: word ids (U) -> their input vectors (U, D), through the model's embedding tables.
// ids (B, T) int64, lengths (B) int64 >= 1, both on the CPU. Returns (B, 2H) in batch order:
// [forward state at the last word ; backward state at the first word].
torch::Tensor bilstm_last_states(torch::nn::LSTM& lstm,
                                 const std::function<torch::Tensor(const torch::Tensor&)>& embed,
                                 const torch::Tensor& ids, const torch::Tensor& lengths);

}  // namespace b2b
