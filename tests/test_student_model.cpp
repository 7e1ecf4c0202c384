#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "student/batching.h"
#include "student/checkpoint.h"
#include "student/inference.h"
#include "student/model.h"
#include "student/sharded_step.h"
#include "student/trainer.h"
#include "test_util.h"
#include "util/error.h"

namespace b2b {
namespace {

StudentConfig sst2_config(EmbeddingMode mode) {
  StudentConfig c;
  c.task = parse_task("sst2");
  c.embedding_mode = mode;
  c.vocab_size = 1000;
  c.embedding_dim = 300;
  apply_task_defaults(c);
  return c;
}

// A student small enough to train hundreds of steps in a test.
StudentConfig tiny_config(EmbeddingMode mode) {
  StudentConfig c = sst2_config(mode);
  c.embedding_dim = 16;
  c.hidden_size = 8;
  c.fc_size = 8;
  return c;
}

// Trains a fresh student (initial weights from seed 1) and returns copies of its parameters.
std::vector<torch::Tensor> trained_parameters(const StudentConfig& c,
                                              const std::vector<EncodedExample>& train,
                                              const TrainOptions& options) {
  torch::manual_seed(1);
  StudentModel model(c);
  train_student(model, train, {}, options, [](int, double) {});
  std::vector<torch::Tensor> out;
  for (const auto& p : model->parameters()) out.push_back(p.detach().clone());
  return out;
}

TEST(StudentModel, PaperParameterCountForSst2) {
  // METHOD.md: 600-d multichannel input, H 150, F 200, 2 labels: 963,002 without embeddings.
  StudentModel model(sst2_config(EmbeddingMode::kMultichannel));
  EXPECT_EQ(model->count_parameters(false), 963002);
  EXPECT_EQ(model->count_parameters(true), 963002 + 2 * 1000 * 300);
  StudentModel single(sst2_config(EmbeddingMode::kNonStatic));
  EXPECT_EQ(single->count_parameters(false), 603002);
}

TEST(StudentModel, StaticChannelIsFrozen) {
  StudentModel model(sst2_config(EmbeddingMode::kMultichannel));
  for (const auto& p : model->named_parameters()) {
    EXPECT_EQ(p.value().requires_grad(), p.key() != "embedding_static.weight") << p.key();
  }
}

Batch batch_of(const std::vector<std::vector<int64_t>>& a,
               const std::vector<std::vector<int64_t>>& b = {}) {
  std::vector<EncodedExample> examples(a.size());
  std::vector<size_t> indices;
  for (size_t i = 0; i < a.size(); ++i) {
    examples[i].a = a[i];
    if (!b.empty()) examples[i].b = b[i];
    indices.push_back(i);
  }
  return collate(examples, indices);
}

TEST(StudentModel, PaddingDoesNotChangeTheEncoding) {
  StudentModel model(sst2_config(EmbeddingMode::kRand));
  model->eval();
  torch::NoGradGuard no_grad;
  const auto alone = model->forward(batch_of({{5, 6, 7}}));
  const auto padded = model->forward(batch_of({{9, 10, 11, 12, 13, 14}, {5, 6, 7}}));
  EXPECT_TRUE(torch::allclose(alone[0], padded[1], 1e-5, 1e-6));
}

TEST(StudentModel, SiameseModelUsesTheFourFeatureBlocks) {
  StudentConfig c = sst2_config(EmbeddingMode::kRand);
  c.task = parse_task("mnli");
  apply_task_defaults(c);
  StudentModel model(c);
  // LSTM 2 x (4*300*(300+300) + 8*300), hidden Linear(8*300, 400), output Linear(400, 3)
  EXPECT_EQ(model->count_parameters(false),
            2 * (1200 * 600 + 2400) + (2400 * 400 + 400) + (400 * 3 + 3));
  model->eval();
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(batch_of({{3, 4}, {5}}, {{6}, {7, 8, 9}}));
  EXPECT_EQ(logits.sizes().vec(), (std::vector<int64_t>{2, 3}));
}

// The BiLSTM the student trains with (student/bilstm.h) against torch::nn::LSTM's packed
// forward on the same parameters: logits and every parameter's gradient.
TEST(StudentModel, BiLstmOfOperationsEqualsTorchLstmWithItsGradients) {
  std::mt19937 rng(7);
  auto sentences = [&](size_t n) {
    std::vector<std::vector<int64_t>> out(n);
    for (size_t i = 0; i < n; ++i) {
      // lengths 1..14 with ties; words 1..40 so that a batch repeats words
      out[i].resize(1 + (i * 5 + rng() % 3) % 14);
      for (auto& w : out[i]) w = 1 + static_cast<int64_t>(rng() % 40);
    }
    std::shuffle(out.begin(), out.end(), rng);
    return out;
  };
  StudentConfig pair = sst2_config(EmbeddingMode::kNonStatic);
  pair.task = parse_task("mnli");
  apply_task_defaults(pair);
  pair.hidden_size = 60;
  for (const StudentConfig& c :
       {sst2_config(EmbeddingMode::kRand), sst2_config(EmbeddingMode::kMultichannel), pair}) {
    SCOPED_TRACE(c.task.name + " " + std::to_string(static_cast<int>(c.embedding_mode)));
    torch::manual_seed(3);
    StudentModel model(c);
    model->eval();  // no dropout; gradients flow all the same
    const Batch batch =
        c.task.is_pair() ? batch_of(sentences(13), sentences(13)) : batch_of(sentences(17));
    const torch::Tensor weights = torch::randn({batch.ids_a.size(0), c.num_labels()});
    auto run = [&](bool torch_lstm) {
      model->set_torch_lstm(torch_lstm);
      model->zero_grad();
      const torch::Tensor logits = model->forward(batch);
      (logits * weights).sum().backward();
      std::vector<torch::Tensor> out{logits.detach().clone()};
      for (const auto& p : model->parameters()) {
        if (p.requires_grad()) out.push_back(p.grad().clone());
      }
      return out;
    };
    const auto ours = run(false);
    const auto reference = run(true);
    ASSERT_EQ(ours.size(), reference.size());
    EXPECT_GT(reference[0].abs().max().item<double>(), 1e-3);
    for (size_t i = 0; i < ours.size(); ++i) {
      EXPECT_LT((ours[i] - reference[i]).abs().max().item<double>(), 1e-5) << "tensor " << i;
    }
  }
}

TEST(StudentCheckpoint, SavesAndLoadsTheSameModel) {
  test::TempDir dir;
  StudentConfig c = sst2_config(EmbeddingMode::kMultichannel);
  const Vocabulary vocab = Vocabulary::build({{"x", 1}});
  c.vocab_size = static_cast<int64_t>(vocab.size());
  StudentModel model(c);
  model->eval();
  save_student(dir.path("student"), c, vocab, model);
  Student loaded = load_student(dir.path("student"));
  torch::NoGradGuard no_grad;
  const Batch batch = batch_of({{3, 1, 2}});
  EXPECT_TRUE(torch::equal(model->forward(batch), loaded.model->forward(batch)));
  EXPECT_EQ(loaded.config.embedding_mode, EmbeddingMode::kMultichannel);
}

TEST(StudentTraining, WordDropoutTurnsAboutPOfTheWordsIntoUnkAndKeepsPadding) {
  torch::manual_seed(3);
  // 400 sequences of 50 word ids >= 3 followed by 50 padding positions.
  torch::Tensor ids = torch::cat(
      {torch::randint(3, 1000, {400, 50}, torch::kInt64), torch::zeros({400, 50}, torch::kInt64)},
      1);
  const torch::Tensor before = ids.clone();
  Batch batch;
  batch.ids_a = ids;  // the same storage: dropped in place
  batch.ids_b = torch::randint(3, 1000, {400, 50}, torch::kInt64);  // a pair's second sentence
  drop_words_to_unk(batch, 0.2);
  EXPECT_NEAR(batch.ids_b.eq(Vocabulary::kUnk).to(torch::kFloat64).mean().item<double>(), 0.2,
              0.01);
  const torch::Tensor words = ids.slice(1, 0, 50), padding = ids.slice(1, 50);
  EXPECT_TRUE(padding.eq(Vocabulary::kPad).all().item<bool>());
  const double unk = words.eq(Vocabulary::kUnk).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(unk, 0.2, 0.01);  // 20,000 draws: the standard error is 0.003
  // Every word is either kept or became [UNK].
  EXPECT_TRUE(
      words.eq(before.slice(1, 0, 50)).logical_or(words.eq(Vocabulary::kUnk)).all().item<bool>());
  Batch unchanged;
  unchanged.ids_a = before.clone();
  drop_words_to_unk(unchanged, 0.0);
  EXPECT_TRUE(unchanged.ids_a.equal(before));
}

// Every example in exactly one batch, longest first for inference; batch 0 is an error, not
// an endless loop.
// issue 15: the whole training loop with the embedding rows updated sparsely and densely,
// 200 steps (2,000 examples, batch 10) over a vocabulary most of whose rows wait many steps.
TEST(StudentTraining, SparseAndDenseEmbeddingUpdatesTrainTheSameStudent) {
  for (const EmbeddingMode mode : {EmbeddingMode::kRand, EmbeddingMode::kMultichannel}) {
    const StudentConfig c = tiny_config(mode);
    std::mt19937 rng(7);
    std::vector<EncodedExample> train(2000);
    for (auto& e : train) {
      for (size_t w = 0; w < 1 + rng() % 12; ++w) e.a.push_back(3 + rng() % 997);
      e.target = e.gold = static_cast<int>(rng() % 2);
    }
    std::vector<torch::Tensor> trained[2];
    for (const bool sparse : {false, true}) {
      TrainOptions options;
      options.epochs = 1;
      options.batch_size = 10;
      options.sparse_embedding_gradients = sparse;
      trained[sparse] = trained_parameters(c, train, options);
    }
    ASSERT_EQ(trained[0].size(), trained[1].size());
    for (size_t i = 0; i < trained[0].size(); ++i) {
      EXPECT_LE((trained[0][i] - trained[1][i]).abs().max().item<float>(), 1e-5)
          << embedding_mode_name(mode) << " parameter " << i;
    }
  }
}

// The batch cut into shards on several workers (student/sharded_step.h): the same student
// as one worker within float rounding, for both sentence and pair tasks, and bit for bit the
// same student when a run is repeated (the workers' interleaving changes nothing).
TEST(StudentTraining, ShardedStepsTrainTheSameStudentAsOneWorker) {
  for (const bool pair : {false, true}) {
    StudentConfig c = tiny_config(EmbeddingMode::kRand);
    if (pair) c.task = parse_task("mnli");  // 3 labels, two sentences
    std::mt19937 rng(11);
    std::vector<EncodedExample> train(960);
    for (auto& e : train) {
      for (size_t w = 0; w < 1 + rng() % 12; ++w) e.a.push_back(3 + rng() % 997);
      if (pair)
        for (size_t w = 0; w < 1 + rng() % 9; ++w) e.b.push_back(3 + rng() % 997);
      e.target = e.gold = static_cast<int>(rng() % c.num_labels());
      e.logits = {static_cast<float>(rng() % 100) / 25 - 2, static_cast<float>(rng() % 7) - 3};
      if (pair) e.logits.push_back(0.5f);
    }
    auto train_with = [&](int workers) {
      TrainOptions options;
      options.epochs = 2;
      options.batch_size = 32;  // 60 steps
      options.alpha = 0.5;
      options.workers = workers;
      return trained_parameters(c, train, options);
    };
    const auto one = train_with(1), two = train_with(2), three = train_with(3),
               again = train_with(2);
    ASSERT_EQ(one.size(), two.size());
    for (size_t i = 0; i < one.size(); ++i) {
      EXPECT_LE((one[i] - two[i]).abs().max().item<float>(), 1e-5) << "parameter " << i;
      EXPECT_LE((one[i] - three[i]).abs().max().item<float>(), 1e-5) << "parameter " << i;
      EXPECT_TRUE(torch::equal(two[i], again[i])) << "parameter " << i;
    }
  }
}

// issue 15, --alpha-rows originals: the CE term on rows with a gold label only. Where every
// row has one it is the "all" loss; where none has one it is pure MSE (alpha 0); on a mixed
// set it is neither, and it is the same on two workers as on one (a per-row mean per shard).
TEST(StudentTraining, AlphaOnOriginalsWeighsEachRowByWhetherItHasAGoldLabel) {
  const StudentConfig c = tiny_config(EmbeddingMode::kRand);
  auto transfer_set = [](double gold_share) {
    std::mt19937 rng(5);
    std::vector<EncodedExample> rows(600);
    for (auto& e : rows) {
      for (size_t w = 0; w < 1 + rng() % 10; ++w) e.a.push_back(3 + rng() % 997);
      e.logits = {static_cast<float>(rng() % 100) / 25 - 2, static_cast<float>(rng() % 7) - 3};
      const bool original = (rng() % 1000) < gold_share * 1000;
      e.gold = original ? static_cast<int>(rng() % 2) : -1;
      e.target = original ? e.gold : (e.logits[1] > e.logits[0] ? 1 : 0);
    }
    return rows;
  };
  auto train = [&](const std::vector<EncodedExample>& rows, double alpha, const char* alpha_rows,
                   int workers) {
    TrainOptions options;
    options.epochs = 1;
    options.batch_size = 20;  // 30 steps
    options.alpha = alpha;
    options.alpha_rows = alpha_rows;
    options.workers = workers;
    return trained_parameters(c, rows, options);
  };
  auto max_difference = [](const std::vector<torch::Tensor>& x,
                           const std::vector<torch::Tensor>& y) {
    float most = 0;
    for (size_t i = 0; i < x.size(); ++i)
      most = std::max(most, (x[i] - y[i]).abs().max().item<float>());
    return most;
  };
  const auto all_gold = transfer_set(1.0), no_gold = transfer_set(0.0), mixed = transfer_set(0.4);
  EXPECT_LE(max_difference(train(all_gold, 0.5, "originals", 1), train(all_gold, 0.5, "all", 1)),
            1e-5);
  EXPECT_LE(max_difference(train(no_gold, 0.5, "originals", 1), train(no_gold, 0.0, "all", 1)),
            1e-5);
  const auto on_originals = train(mixed, 0.5, "originals", 1);
  EXPECT_GT(max_difference(on_originals, train(mixed, 0.5, "all", 1)), 1e-3);
  EXPECT_GT(max_difference(on_originals, train(mixed, 0.0, "all", 1)), 1e-3);
  EXPECT_LE(max_difference(on_originals, train(mixed, 0.5, "originals", 2)), 1e-5);
}

// The loss of one batch against the formulas computed here in doubles: the logit MSE, the KL
// divergence at a temperature (times T^2, its gradient T * (p_student - p_teacher)), the CE
// on every row or on the rows with a gold label only.
TEST(StudentTraining, DistillationLossMatchesItsFormulas) {
  const std::vector<std::vector<double>> student = {{0.3, -1.2}, {2.0, 0.5}, {-0.7, 0.4}};
  const std::vector<std::vector<double>> teacher = {{1.5, -0.5}, {-0.2, 0.9}, {0.1, 0.0}};
  const std::vector<int64_t> gold = {1, -1, 0}, targets = {1, 1, 0};  // row 1: teacher argmax
  Batch batch;
  batch.gold = torch::tensor(gold);
  batch.targets = torch::tensor(targets);
  torch::Tensor logits = torch::empty({3, 2}), teacher_logits = torch::empty({3, 2});
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 2; ++k) {
      logits[r][k] = student[r][k];
      teacher_logits[r][k] = teacher[r][k];
    }
  batch.teacher_logits = teacher_logits;
  auto softmax = [](const std::vector<double>& z, double t) {
    const double a = std::exp(z[0] / t), b = std::exp(z[1] / t);
    return std::vector<double>{a / (a + b), b / (a + b)};
  };
  std::vector<double> mse(3), kl(3), ce(3);
  const double t = 2.0;
  for (int r = 0; r < 3; ++r) {
    mse[r] =
        (std::pow(student[r][0] - teacher[r][0], 2) + std::pow(student[r][1] - teacher[r][1], 2)) /
        2;
    const auto ps = softmax(student[r], t), pt = softmax(teacher[r], t);
    kl[r] = t * t * (pt[0] * std::log(pt[0] / ps[0]) + pt[1] * std::log(pt[1] / ps[1]));
    ce[r] = -std::log(softmax(student[r], 1)[targets[r]]);
  }
  auto loss_with = [&](double alpha, const char* rows, double temperature) {
    TrainOptions options;
    options.alpha = alpha;
    options.alpha_rows = rows;
    options.kl_temperature = temperature;
    return distillation_loss(logits, batch, options).item<double>();
  };
  auto mean = [](double a, double b, double c) { return (a + b + c) / 3; };
  EXPECT_NEAR(loss_with(0, "all", 0), mean(mse[0], mse[1], mse[2]), 1e-6);
  EXPECT_NEAR(loss_with(0, "all", t), mean(kl[0], kl[1], kl[2]), 1e-6);
  EXPECT_NEAR(loss_with(0.3, "all", t),
              0.3 * mean(ce[0], ce[1], ce[2]) + 0.7 * mean(kl[0], kl[1], kl[2]), 1e-6);
  EXPECT_NEAR(loss_with(0.3, "originals", 0),
              mean(0.3 * ce[0] + 0.7 * mse[0], mse[1], 0.3 * ce[2] + 0.7 * mse[2]), 1e-6);
  EXPECT_NEAR(loss_with(0.3, "originals", t),
              mean(0.3 * ce[0] + 0.7 * kl[0], kl[1], 0.3 * ce[2] + 0.7 * kl[2]), 1e-6);

  const torch::Tensor z = logits.clone().requires_grad_(true);
  TrainOptions options;
  options.alpha = 0;
  options.kl_temperature = t;
  distillation_loss(z, batch, options).backward();
  for (int r = 0; r < 3; ++r) {
    const auto ps = softmax(student[r], t), pt = softmax(teacher[r], t);
    for (int k = 0; k < 2; ++k)
      EXPECT_NEAR(z.grad()[r][k].item<double>(), t * (ps[k] - pt[k]) / 3, 1e-6);
  }
}

TEST(StudentBatching, ShardsCutABatchIntoConsecutiveNonEmptyRuns) {
  const std::vector<size_t> batch = {9, 3, 7, 1, 5};
  EXPECT_EQ(cut_into_shards(batch, 1), (std::vector<std::vector<size_t>>{batch}));
  EXPECT_EQ(cut_into_shards(batch, 2), (std::vector<std::vector<size_t>>{{9, 3}, {7, 1, 5}}));
  EXPECT_EQ(cut_into_shards(batch, 8).size(), 5u);  // never an empty shard
  EXPECT_EQ(cut_into_shards({4}, 0), (std::vector<std::vector<size_t>>{{4}}));
}

TEST(StudentBatching, BatchesCoverEveryExampleOnceAndRefuseSizeZero) {
  std::vector<EncodedExample> examples(23);
  for (size_t i = 0; i < examples.size(); ++i) examples[i].a.assign(1 + (i * 7) % 11, 5);
  const auto batches = inference_batches(examples, 5);
  ASSERT_EQ(batches.size(), 5u);
  std::vector<size_t> seen;
  for (const auto& batch : batches) seen.insert(seen.end(), batch.begin(), batch.end());
  ASSERT_EQ(seen.size(), examples.size());
  for (size_t i = 1; i < seen.size(); ++i)
    EXPECT_GE(examples[seen[i - 1]].a.size(), examples[seen[i]].a.size());
  std::sort(seen.begin(), seen.end());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
  std::mt19937_64 rng(1);
  EXPECT_EQ(training_batches(examples, 5, rng).size(), 5u);
  EXPECT_EQ(test::error_of([&] { inference_batches(examples, 0); }), "--batch must be positive");
  EXPECT_EQ(test::error_of([&] { training_batches(examples, 0, rng); }),
            "--batch must be positive");
}

}  // namespace
}  // namespace b2b
