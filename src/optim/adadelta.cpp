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

// The rows of a coalesced sparse gradient (each row once): first the decay of the steps the
// row missed, then the update.
void sparse_step(torch::Tensor& p, const torch::Tensor& grad, AdadeltaParamState& state, float lr,
                 float rho, float eps) {
  const int64_t rows = p.size(0), width = p.numel() / rows;
  if (!state.row_step().defined()) state.row_step(torch::zeros({rows}, torch::kInt64));
  const torch::Tensor indices = grad.indices()[0].contiguous();
  const torch::Tensor values = grad.values().contiguous();
  const int64_t* index = indices.data_ptr<int64_t>();
  const float* g = values.data_ptr<float>();
  float* param = p.data_ptr<float>();
  float* v = state.square_avg().data_ptr<float>();
  float* u = state.acc_delta().data_ptr<float>();
  int64_t* last = state.row_step().data_ptr<int64_t>();
  const int64_t step = state.step();
  at::parallel_for(0, indices.numel(), 64, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const int64_t row = index[j];
      const int64_t missed = step - 1 - last[row];
      last[row] = step;
      float* pr = param + row * width;
      float* vr = v + row * width;
      float* ur = u + row * width;
      const float* gr = g + j * width;
      const float decay = missed > 0 ? std::pow(rho, static_cast<float>(missed)) : 1.0f;
      for (int64_t i = 0; i < width; ++i) {
        vr[i] = rho * (decay * vr[i]) + (1 - rho) * gr[i] * gr[i];
        const float ui = decay * ur[i];
        const float d = std::sqrt(ui + eps) / std::sqrt(vr[i] + eps) * gr[i];
        ur[i] = rho * ui + (1 - rho) * d * d;
        pr[i] -= lr * d;
      }
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
      TORCH_CHECK(!grad.is_sparse() || options.weight_decay() == 0,
                  "Adadelta: weight decay needs dense gradients");
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
      if (grad.is_sparse()) {
        sparse_step(p, grad.coalesce(), state, static_cast<float>(options.lr()),
                    static_cast<float>(rho), static_cast<float>(eps));
        continue;
      }
      if (state.row_step().defined()) synchronize();  // sparse before: every row up to date
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

void Adadelta::synchronize() {
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const float rho =
        static_cast<float>(static_cast<const AdadeltaOptions&>(group.options()).rho());
    for (auto& p : group.params()) {
      const auto it = state_.find(state_key<std::decay_t<decltype(state_)>::key_type>(p));
      if (it == state_.end()) continue;
      auto& state = static_cast<AdadeltaParamState&>(*it->second);
      if (!state.row_step().defined()) continue;
      // Row r missed (step - row_step[r]) steps: rho to that power, row by row.
      const torch::Tensor missed = (state.step() - state.row_step()).to(torch::kFloat32);
      const torch::Tensor decay = torch::pow(torch::full({}, rho), missed).view({-1, 1});
      state.square_avg().view({p.size(0), -1}).mul_(decay);
      state.acc_delta().view({p.size(0), -1}).mul_(decay);
      state.row_step().fill_(state.step());
    }
  }
}

}  // namespace b2b
