#include "student/trainer.h"

#include <chrono>
#include <cstdio>

#include "optim/adadelta.h"
#include "student/inference.h"
#include "student/sharded_step.h"
#include "util/error.h"
#include "util/progress.h"

namespace b2b {

nlohmann::json TrainResult::to_json() const {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& r : history) {
    epochs.push_back({{"epoch", r.epoch},
                      {"train_loss", r.train_loss},
                      {"dev_accuracy", r.dev_accuracy},
                      {"seconds", r.seconds}});
  }
  return {{"best_epoch", best_epoch}, {"best_dev_accuracy", best_dev_accuracy}, {"epochs", epochs}};
}

void validate_train_options(const TrainOptions& options) {
  if (options.alpha < 0 || options.alpha > 1) throw Error("--alpha must be in [0, 1]");
  if (options.epochs <= 0) throw Error("--epochs must be positive");
  if (!(options.lr > 0)) throw Error("--lr must be positive");
  if (!(options.rho >= 0 && options.rho < 1)) throw Error("--rho must be in [0, 1)");
  if (!(options.momentum >= 0)) throw Error("--momentum must not be negative");
  if (!(options.weight_decay >= 0)) throw Error("--weight-decay must not be negative");
  if (!(options.clip_norm >= 0)) throw Error("--clip-norm must not be negative (0 = off)");
  if (options.patience < 0) throw Error("--patience must not be negative (0 = never stop)");
  if (options.word_dropout < 0 || options.word_dropout >= 1)
    throw Error("--word-dropout must be in [0, 1)");
  if (!(options.kl_temperature >= 0))
    throw Error("--kl-temperature must not be negative (0 = the logit MSE)");
  if (options.alpha_rows != "all" && options.alpha_rows != "originals")
    throw Error("--alpha-rows: expected all or originals, got '" + options.alpha_rows + "'");
  if (options.optimizer != "adadelta" && options.optimizer != "sgd" &&
      options.optimizer != "adam") {
    throw Error("--optimizer: expected adadelta, sgd or adam, got '" + options.optimizer + "'");
  }
}

void validate_train_data(const TrainOptions& options, bool has_logits,
                         const std::string& train_path) {
  if (options.alpha < 1 && !has_logits) {
    fail_file(train_path, "has gold labels only (no logit_* columns): --alpha must be 1, got " +
                              std::to_string(options.alpha));
  }
  if (options.alpha_rows == "originals" && !has_logits) {
    fail_file(train_path,
              "has gold labels only (no logit_* columns): --alpha-rows originals needs the "
              "teacher's logits");
  }
}

namespace {

// The soft term of each row: the logit MSE (mean over the k logits), or with a temperature T
// the KL divergence of the student's probabilities at T from the teacher's, times T^2 so that
// its gradients keep their scale as T grows (Hinton et al. 2015).
torch::Tensor soft_loss_per_row(const torch::Tensor& logits, const torch::Tensor& teacher,
                                double temperature) {
  if (temperature <= 0) return (logits - teacher).pow(2).mean(1);
  const torch::Tensor log_student = torch::log_softmax(logits / temperature, 1);
  const torch::Tensor log_teacher = torch::log_softmax(teacher / temperature, 1);
  return (log_teacher.exp() * (log_teacher - log_student)).sum(1) * (temperature * temperature);
}

}  // namespace

torch::Tensor distillation_loss(const torch::Tensor& logits, const Batch& batch,
                                const TrainOptions& options) {
  const double alpha = options.alpha;
  namespace F = torch::nn::functional;
  if (options.alpha_rows == "originals") {
    // Per row: alpha * CE(gold) + (1 - alpha) * soft on rows with a gold label, the soft term
    // alone on the others; the mean over rows, like the "all" form below.
    const torch::Tensor weight = batch.gold.ge(0).to(torch::kFloat) * alpha;
    const torch::Tensor ce = F::cross_entropy(logits, batch.gold.clamp_min(0),
                                              F::CrossEntropyFuncOptions().reduction(torch::kNone));
    const torch::Tensor soft =
        soft_loss_per_row(logits, batch.teacher_logits, options.kl_temperature);
    return (weight * ce + (1 - weight) * soft).mean();
  }
  torch::Tensor loss = torch::zeros({});
  if (alpha > 0) loss = loss + alpha * F::cross_entropy(logits, batch.targets);
  if (alpha < 1) {
    loss = loss +
           (1 - alpha) *
               (options.kl_temperature > 0
                    ? soft_loss_per_row(logits, batch.teacher_logits, options.kl_temperature).mean()
                    : torch::mse_loss(logits, batch.teacher_logits));
  }
  return loss;
}

namespace {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(StudentModel& model,
                                                        const TrainOptions& o) {
  std::vector<torch::Tensor> params;
  for (auto& p : model->parameters()) {
    if (p.requires_grad()) params.push_back(p);  // frozen embeddings stay out
  }
  if (o.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  }
  if (o.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  }
  return std::make_unique<Adadelta>(params,
                                    AdadeltaOptions(o.lr).rho(o.rho).weight_decay(o.weight_decay));
}

bool uses_sparse_gradients(const TrainOptions& o) {
  return o.sparse_embedding_gradients && o.optimizer == "adadelta" && o.weight_decay == 0 &&
         o.clip_norm == 0;
}

// Shards of fewer rows than this cost more in per-operation overhead than they gain.
constexpr size_t kMinShardRows = 8;

int training_workers(const TrainOptions& o) {
  const int threads = o.workers > 0 ? o.workers : at::get_num_threads();
  const auto most = static_cast<int>(std::max<size_t>(1, o.batch_size / kMinShardRows));
  return std::max(1, std::min(threads, most));
}

double run_epoch(StudentModel& model, torch::optim::Optimizer& optimizer, ShardedStep& step,
                 const std::vector<EncodedExample>& train, const TrainOptions& options,
                 std::mt19937_64& rng, int epoch) {
  model->train();
  const auto batches = training_batches(train, options.batch_size, rng);
  Progress progress("epoch " + std::to_string(epoch), static_cast<int64_t>(train.size()), "ex");
  const ShardLoss loss = [&](const torch::Tensor& logits, const Batch& shard) {
    return distillation_loss(logits, shard, options);
  };
  double total_loss = 0;
  std::vector<Batch> shards;
  std::vector<int64_t> rows;
  for (size_t i = 0; i < batches.size(); ++i) {
    // Every random draw (word dropout, dropout noise) happens here, shard by shard, so the
    // run does not depend on how the workers interleave.
    shards.clear();
    rows.clear();
    for (const auto& part : cut_into_shards(batches[i], step.workers())) {
      Batch shard = collate(train, part);
      drop_words_to_unk(shard, options.word_dropout);
      shard.dropout_noise = model->draw_dropout_noise(static_cast<int64_t>(part.size()));
      shards.push_back(std::move(shard));
      rows.push_back(static_cast<int64_t>(part.size()));
    }
    total_loss += step.run(shards, rows, loss);
    if (options.clip_norm > 0)
      torch::nn::utils::clip_grad_norm_(model->parameters(), options.clip_norm);
    optimizer.step();
    if ((i & 15) == 0) {
      char note[64];
      std::snprintf(note, sizeof note, "loss %.4f", total_loss / (i + 1));
      progress.set_note(note);
    }
    progress.add(static_cast<int64_t>(batches[i].size()));
  }
  return batches.empty() ? 0.0 : total_loss / batches.size();
}

}  // namespace

double accuracy(StudentModel& model, const std::vector<EncodedExample>& examples) {
  const torch::Tensor predicted = predict_logits(model, examples).argmax(1);
  const auto* p = predicted.data_ptr<int64_t>();
  int64_t correct = 0, total = 0;
  for (size_t i = 0; i < examples.size(); ++i) {
    if (examples[i].gold < 0) continue;
    ++total;
    correct += p[i] == examples[i].gold;
  }
  return total ? static_cast<double>(correct) / total : 0.0;
}

TrainResult train_student(StudentModel& model, const std::vector<EncodedExample>& train,
                          const std::vector<EncodedExample>& dev, const TrainOptions& options,
                          const OnBest& on_best) {
  torch::manual_seed(options.seed);
  std::mt19937_64 rng(options.seed);
  auto optimizer = make_optimizer(model, options);
  model->set_sparse_embedding_gradients(uses_sparse_gradients(options));
  const int workers = training_workers(options);
  TrainResult result;
  int since_best = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    EpochRecord record;
    record.epoch = epoch;
    {
      ShardedStep step(model, workers);  // its threads live for the epoch, not the dev pass
      record.train_loss = run_epoch(model, *optimizer, step, train, options, rng, epoch);
    }
    if (!dev.empty()) record.dev_accuracy = accuracy(model, dev);
    record.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.history.push_back(record);
    char dev_note[40] = "";
    if (!dev.empty())
      std::snprintf(dev_note, sizeof dev_note, ", dev accuracy %.4f", record.dev_accuracy);
    std::fprintf(stderr, "epoch %d: train loss %.4f%s, %.1f s\n", epoch, record.train_loss,
                 dev_note, record.seconds);
    if (dev.empty() || record.dev_accuracy > result.best_dev_accuracy) {
      result.best_epoch = epoch;
      result.best_dev_accuracy = record.dev_accuracy;
      since_best = 0;
      on_best(epoch, record.dev_accuracy);
    } else if (options.patience > 0 && ++since_best >= options.patience) {
      std::fprintf(stderr, "no dev improvement for %d epochs: stopping\n", options.patience);
      break;
    }
  }
  return result;
}

}  // namespace b2b
