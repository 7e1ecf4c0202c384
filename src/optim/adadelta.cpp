#include "optim/adadelta.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <sstream>
#include <type_traits>

namespace b2b {

namespace {

// One pass over memory instead of the ~11 that the tensor expression below makes: on CPU the
// dense embedding table (millions of rows) dominates a student's step otherwise.
void fused_step(torch::Tensor& p, const torch::Tensor& grad, torch::Tensor& square_avg,
                torch::Tensor& acc_delta, float lr, float rho, float eps) {
  float* param = p.data_ptr<float>();
  const float* g = grad.data_ptr<float>();
  float* v = square_avg.data_ptr<float>();
  float* u = acc_delta.data_ptr<float>();
  at::parallel_for(0, p.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
      const float d = std::sqrt(u[i] + eps) / std::sqrt(v[i] + eps) * g[i];
      u[i] = rho * u[i] + (1 - rho) * d * d;
      param[i] -= lr * d;
    }
  });
}

bool fusable(const torch::Tensor& p, const torch::Tensor& grad) {
  return p.device().is_cpu() && p.scalar_type() == torch::kFloat32 &&
         grad.scalar_type() == torch::kFloat32 && p.is_contiguous() && grad.is_contiguous() &&
         !grad.is_sparse();
}

}  // namespace

Adadelta::Adadelta(std::vector<torch::Tensor> params, AdadeltaOptions defaults)
    : Optimizer({torch::optim::OptimizerParamGroup(std::move(params))},
                std::make_unique<AdadeltaOptions>(defaults)) {
  TORCH_CHECK(defaults.lr() >= 0, "Adadelta: invalid learning rate ", defaults.lr());
  TORCH_CHECK(defaults.rho() >= 0 && defaults.rho() <= 1, "Adadelta: invalid rho ", defaults.rho());
  TORCH_CHECK(defaults.eps() >= 0, "Adadelta: invalid eps ", defaults.eps());
}

namespace {
// libtorch 1.x keys optimizer state by the parameter's address as a string (what its own
// optimizers and torch::save expect); 2.x by the address itself.
template <typename Key>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream key;
    key << p.unsafeGetTensorImpl();
    return key.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}
}  // namespace

torch::Tensor Adadelta::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const AdadeltaOptions&>(group.options());
    const double rho = options.rho(), eps = options.eps();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      torch::Tensor grad = p.grad();
      if (options.weight_decay() != 0) grad = grad.add(p, options.weight_decay());
      const auto key = state_key<std::decay_t<decltype(state_)>::key_type>(p);
      auto it = state_.find(key);
      if (it == state_.end()) {
        auto fresh = std::make_unique<AdadeltaParamState>();
        fresh->square_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->acc_delta(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state_.emplace(key, std::move(fresh)).first;
      }
      auto& state = static_cast<AdadeltaParamState&>(*it->second);
      state.step(state.step() + 1);
      torch::Tensor square_avg = state.square_avg();
      torch::Tensor acc_delta = state.acc_delta();
      if (fusable(p, grad)) {
        fused_step(p, grad, square_avg, acc_delta, static_cast<float>(options.lr()),
                   static_cast<float>(rho), static_cast<float>(eps));
        continue;
      }
      square_avg.mul_(rho).addcmul_(grad, grad, 1 - rho);
      torch::Tensor delta = acc_delta.add(eps).sqrt_().div_(square_avg.add(eps).sqrt_()).mul_(grad);
      acc_delta.mul_(rho).addcmul_(delta, delta, 1 - rho);
      p.add_(delta, -options.lr());
    }
  }
  return loss;
}

}  // namespace b2b
