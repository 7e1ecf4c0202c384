#pragma once
// Adadelta (Zeiler 2012), the paper's student optimizer; libtorch 1.13 ships none.
// Same update and defaults as torch.optim.Adadelta:
//   v = rho v + (1 - rho) g^2
//   d = sqrt(u + eps) / sqrt(v + eps) * g
//   u = rho u + (1 - rho) d^2
//   p = p - lr d
// A sparse gradient (an embedding table's rows that a batch touched) updates those rows only,
// exactly as the dense update would: a row without gradient for k steps would have had both
// accumulators multiplied by rho^k (a zero gradient changes nothing else), so that decay is
// applied when the row is next touched. Parameters then equal the dense path's up to float
// rounding, and the accumulators once synchronize() has brought every row up to date.
#include <torch/torch.h>

namespace b2b {

struct AdadeltaOptions : public torch::optim::OptimizerCloneableOptions<AdadeltaOptions> {
  AdadeltaOptions(double lr = 1.0) : lr_(lr) {}
  TORCH_ARG(double, lr) = 1.0;
  TORCH_ARG(double, rho) = 0.9;
  TORCH_ARG(double, eps) = 1e-6;
  TORCH_ARG(double, weight_decay) = 0;

 public:
  double get_lr() const override { return lr(); }
  void set_lr(const double value) override { lr(value); }
};

struct AdadeltaParamState : public torch::optim::OptimizerCloneableParamState<AdadeltaParamState> {
  TORCH_ARG(torch::Tensor, square_avg);
  TORCH_ARG(torch::Tensor, acc_delta);
  TORCH_ARG(int64_t, step) = 0;
  // Sparse updates only: the step at which each row was last brought up to date.
  TORCH_ARG(torch::Tensor, row_step);
};

class Adadelta : public torch::optim::Optimizer {
 public:
  explicit Adadelta(std::vector<torch::Tensor> params, AdadeltaOptions defaults = {});
  torch::Tensor step(LossClosure closure = nullptr) override;
  // Applies the pending decay of rows that sparse steps skipped, so that the accumulators
  // equal the dense update's.
  void synchronize();
};

}  // namespace b2b
