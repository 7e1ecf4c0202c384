#include "student/bilstm.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "util/error.h"

namespace b2b {

namespace {

// Where each token of a batch goes, worked out once on the CPU from the word ids.
struct Plan {
  std::vector<int64_t> batch_sizes;  // per time step: sentences still running (longest first)
  torch::Tensor words;               // (U) the batch's distinct word ids
  // (2N) rows of the (2U, 4H) projection view, in packed order: first the forward direction's
  // tokens (step t of sentence j), then the backward direction's (word len_j - 1 - t)
  torch::Tensor rows;
  torch::Tensor unsort;  // (B) each batch row's place in the longest-first order
};

Plan plan_batch(const torch::Tensor& ids_in, const torch::Tensor& lengths_in) {
  const torch::Tensor ids = ids_in.to(torch::kLong).contiguous();
  const torch::Tensor lengths = lengths_in.to(torch::kLong).contiguous();
  const int64_t batch = ids.size(0), width = ids.size(1);
  if (batch == 0 || lengths.numel() != batch)
    throw Error("BiLSTM: " + std::to_string(batch) + " sentences with " +
                std::to_string(lengths.numel()) + " lengths");
  const int64_t* id = ids.data_ptr<int64_t>();
  const int64_t* len = lengths.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    if (len[b] < 1 || len[b] > width)
      throw Error("BiLSTM: sentence length " + std::to_string(len[b]) + " outside 1.." +
                  std::to_string(width));
  }
  std::vector<int64_t> order(batch);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return len[x] > len[y]; });

  Plan plan;
  const int64_t steps = len[order[0]];
  std::vector<int64_t> offsets;  // per time step: its first row in the packed token order
  int64_t running = batch, tokens = 0;
  for (int64_t t = 0; t < steps; ++t) {
    while (len[order[running - 1]] <= t) --running;
    plan.batch_sizes.push_back(running);
    offsets.push_back(tokens);
    tokens += running;
  }
  std::vector<int64_t> forward(tokens), backward(tokens);
  for (int64_t t = 0; t < steps; ++t) {
    for (int64_t j = 0; j < plan.batch_sizes[t]; ++j) {
      const int64_t b = order[j];
      forward[offsets[t] + j] = id[b * width + t];
      backward[offsets[t] + j] = id[b * width + len[b] - 1 - t];
    }
  }
  std::vector<int64_t> words = forward;
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  auto slot = [&](int64_t word) {
    return std::lower_bound(words.begin(), words.end(), word) - words.begin();
  };
  plan.rows = torch::empty({2 * tokens}, torch::kLong);
  int64_t* rows = plan.rows.data_ptr<int64_t>();
  for (int64_t p = 0; p < tokens; ++p) {
    rows[p] = 2 * slot(forward[p]);
    rows[tokens + p] = 2 * slot(backward[p]) + 1;
  }
  plan.words = torch::tensor(words, torch::kLong);
  plan.unsort = torch::empty({batch}, torch::kLong);
  int64_t* unsort = plan.unsort.data_ptr<int64_t>();
  for (int64_t j = 0; j < batch; ++j) unsort[order[j]] = j;
  return plan;
}

}  // namespace

torch::Tensor bilstm_last_states(torch::nn::LSTM& lstm,
                                 const std::function<torch::Tensor(const torch::Tensor&)>& embed,
                                 const torch::Tensor& ids, const torch::Tensor& lengths) {
  if (lstm->options.num_layers() != 1 || !lstm->options.bidirectional() || !lstm->options.bias())
    throw Error("BiLSTM: expects one bidirectional layer with biases");
  const Plan plan = plan_batch(ids, lengths);
  const int64_t h = lstm->options.hidden_size();
  const auto p = lstm->named_parameters(/*recurse=*/false);
  // Both directions side by side: (8H, D) input weights and biases, (2, H, 4H) recurrent weights.
  const torch::Tensor w_ih = torch::cat({p["weight_ih_l0"], p["weight_ih_l0_reverse"]});
  const torch::Tensor bias = torch::cat(
      {p["bias_ih_l0"] + p["bias_hh_l0"], p["bias_ih_l0_reverse"] + p["bias_hh_l0_reverse"]});
  const torch::Tensor w_hh =
      torch::stack({p["weight_hh_l0"], p["weight_hh_l0_reverse"]}).transpose(1, 2);

  // (U, 8H) viewed as (2U, 4H): row 2u is word u's forward projection, row 2u + 1 its backward.
  const torch::Tensor projections =
      torch::addmm(bias, embed(plan.words), w_ih.t()).view({-1, 4 * h});
  const torch::Tensor inputs = projections.index_select(0, plan.rows).view({2, -1, 4 * h});
  // Splits, not narrows: a split's gradient is one concatenation, where each narrow's would be
  // a zero tensor of the whole size.
  const std::vector<torch::Tensor> steps = inputs.split_with_sizes(plan.batch_sizes, 1);

  torch::Tensor state, cell;         // (2, running, H)
  std::vector<torch::Tensor> ended;  // last states of the sentences that ended, shortest first
  for (size_t t = 0; t < steps.size(); ++t) {
    const int64_t running = plan.batch_sizes[t];
    torch::Tensor gates = steps[t];
    if (t > 0) {
      const int64_t before = state.size(1);
      if (running < before) {
        const auto states = state.split_with_sizes({running, before - running}, 1);
        ended.push_back(states[1]);
        state = states[0];
        cell = cell.split_with_sizes({running, before - running}, 1)[0];
      }
      gates = torch::baddbmm(gates, state, w_hh);
    }
    // Gate order as torch::nn::LSTM: input, forget, cell, output.
    const auto parts = gates.split_with_sizes({2 * h, h, h}, 2);
    const auto input_forget = torch::sigmoid(parts[0]).chunk(2, 2);
    const torch::Tensor candidate = torch::tanh(parts[1]);
    const torch::Tensor output = torch::sigmoid(parts[2]);
    cell = t == 0 ? input_forget[0] * candidate
                  : torch::addcmul(input_forget[1] * cell, input_forget[0], candidate);
    state = output * torch::tanh(cell);
  }
  ended.push_back(state);
  std::reverse(ended.begin(), ended.end());
  const torch::Tensor last = torch::cat(ended, 1).index_select(1, plan.unsort);  // (2, B, H)
  return last.permute({1, 0, 2}).reshape({last.size(1), 2 * h});  // [forward ; backward]
}

}  // namespace b2b
