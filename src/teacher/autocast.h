#pragma once
// Mixed precision for fine-tuning, as transformers' bf16=True: parameters, gradients and
// optimizer state stay float32 while matrix products run in bfloat16 (torch.autocast).
// Training with the weights themselves in bfloat16 would round most AdamW updates away
// (a 5e-5 step on a 0.05 weight is below bfloat16's 8-bit mantissa).
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace b2b {

class AutocastGuard {
 public:
  AutocastGuard(torch::DeviceType device, bool enabled) : device_(device), enabled_(enabled) {
    if (enabled_) set(true);
  }
  ~AutocastGuard() {
    if (!enabled_) return;
    set(false);
    // Autocast caches bfloat16 copies of the weights; they are stale after the optimizer step.
    at::autocast::clear_cache();
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  void set(bool on) const {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(device_, at::kBFloat16);
    at::autocast::set_autocast_enabled(device_, on);
#else
    if (device_ == torch::kCUDA) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(on);
    } else {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(on);
    }
#endif
  }

  torch::DeviceType device_;
  bool enabled_;
};

}  // namespace b2b
