#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "optim/adadelta.h"

namespace b2b {
namespace {

// Adadelta's update written out for one scalar, to check the optimizer against.
struct ScalarAdadelta {
  double lr, rho, eps, v = 0, u = 0;
  double step(double p, double g) {
    v = rho * v + (1 - rho) * g * g;
    const double d = std::sqrt(u + eps) / std::sqrt(v + eps) * g;
    u = rho * u + (1 - rho) * d * d;
    return p - lr * d;
  }
};

TEST(Adadelta, FollowsTheUpdateFormula) {
  auto p = torch::tensor({0.5, -1.0, 2.0, 0.0}, torch::kFloat64).requires_grad_(true);
  Adadelta optimizer({p}, AdadeltaOptions(1.0).rho(0.95).eps(1e-6));
  std::vector<ScalarAdadelta> expected(4, ScalarAdadelta{1.0, 0.95, 1e-6});
  std::vector<double> values = {0.5, -1.0, 2.0, 0.0};
  for (int step = 0; step < 5; ++step) {
    optimizer.zero_grad();
    // loss = sum(p^3 + p): gradient 3p^2 + 1, different for every element and step
    (p.pow(3) + p).sum().backward();
    optimizer.step();
    for (size_t i = 0; i < 4; ++i)
      values[i] = expected[i].step(values[i], 3 * values[i] * values[i] + 1);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_NEAR(p[i].item<double>(), values[i], 1e-12) << "step " << step;
  }
}

TEST(Adadelta, FloatTensorsMatchTheFormulaToo) {
  auto p = torch::linspace(-2, 2, 1000).requires_grad_(true);
  Adadelta optimizer({p}, AdadeltaOptions(0.5).rho(0.9));
  auto reference = p.detach().to(torch::kFloat64).clone();
  std::vector<ScalarAdadelta> expected(1000, ScalarAdadelta{0.5, 0.9, 1e-6});
  for (int step = 0; step < 3; ++step) {
    optimizer.zero_grad();
    (p * p).sum().backward();
    optimizer.step();
    for (int64_t i = 0; i < 1000; ++i) {
      const double r = reference[i].item<double>();
      reference[i] = expected[i].step(r, 2 * r);
    }
  }
  EXPECT_LT((p.detach().to(torch::kFloat64) - reference).abs().max().item<double>(), 1e-5);
}

TEST(Adadelta, SkipsParametersWithoutGradients) {
  auto used = torch::ones({2}).requires_grad_(true);
  auto unused = torch::ones({2}).requires_grad_(true);
  Adadelta optimizer({used, unused});
  (used * 2).sum().backward();
  optimizer.step();
  EXPECT_TRUE(torch::equal(unused, torch::ones({2})));
  EXPECT_FALSE(torch::equal(used, torch::ones({2})));
}

// An embedding table trained through sparse gradients (the rows each batch touched) against
// the same table through dense ones: 200 steps where most rows go untouched for many steps.
TEST(Adadelta, SparseEmbeddingUpdatesEqualTheDenseOnes) {
  torch::manual_seed(4);
  const torch::Tensor start = torch::randn({300, 8});
  const torch::Tensor target = torch::randn({8});
  torch::Tensor tables[2];
  Adadelta* optimizers[2];
  std::unique_ptr<Adadelta> owned[2];
  for (int sparse = 0; sparse < 2; ++sparse) {
    tables[sparse] = start.clone().requires_grad_(true);
    owned[sparse] = std::make_unique<Adadelta>(std::vector<torch::Tensor>{tables[sparse]},
                                               AdadeltaOptions(1.0).rho(0.95));
    optimizers[sparse] = owned[sparse].get();
  }
  torch::manual_seed(5);
  for (int step = 0; step < 200; ++step) {
    const torch::Tensor ids = torch::randint(0, 300, {12}, torch::kInt64);  // repeats included
    for (int sparse = 0; sparse < 2; ++sparse) {
      optimizers[sparse]->zero_grad();
      const torch::Tensor rows = torch::nn::functional::embedding(
          ids, tables[sparse], torch::nn::functional::EmbeddingFuncOptions().sparse(sparse == 1));
      (rows - target).pow(2).sum().backward();
      ASSERT_EQ(tables[sparse].grad().is_sparse(), sparse == 1);
      optimizers[sparse]->step();
    }
  }
  EXPECT_LE((tables[0] - tables[1]).abs().max().item<float>(), 1e-5);
  EXPECT_FALSE(torch::equal(tables[1], start));
  // The accumulators too (to float rounding: relative 1e-5), once the rows that sparse steps
  // skipped are brought up to date.
  optimizers[1]->synchronize();
  auto& dense = static_cast<AdadeltaParamState&>(*optimizers[0]->state().begin()->second);
  auto& sparse = static_cast<AdadeltaParamState&>(*optimizers[1]->state().begin()->second);
  EXPECT_TRUE(torch::allclose(dense.square_avg(), sparse.square_avg(), 1e-5, 1e-8));
  EXPECT_TRUE(torch::allclose(dense.acc_delta(), sparse.acc_delta(), 1e-5, 1e-8));
}

}  // namespace
}  // namespace b2b
