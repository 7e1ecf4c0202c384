#include "teacher/finetune.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <sstream>

#include "data/dataset.h"
#include "io/safetensors.h"
#include "teacher/autocast.h"
#include "teacher/data_parallel.h"
#include "teacher/finetune_checkpoint.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/progress.h"
#include "util/shuffle.h"

namespace b2b {

namespace fs = std::filesystem;

std::vector<double> parse_learning_rates(const std::string& text) {
  std::vector<double> rates;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || !(value > 0))
      throw Error("--lr: '" + item + "' is not a positive number");
    rates.push_back(value);
  }
  if (rates.empty()) throw Error("--lr: no learning rate given");
  return rates;
}

namespace {

using Clock = std::chrono::steady_clock;

// transformers' _init_weights: normal(0, initializer_range) for Linear and Embedding weights,
// zero biases, LayerNorm 1 and 0, a zero padding row.
void init_like_transformers(Teacher& teacher, bool head_only) {
  torch::NoGradGuard no_grad;
  const double std = teacher.config.initializer_range;
  for (auto& item : teacher.model->named_parameters()) {
    const std::string& name = item.key();
    if (head_only && name.rfind("classifier.", 0) != 0) continue;
    if (name.find("LayerNorm.weight") != std::string::npos) {
      item.value().fill_(1);
    } else if (name.find("bias") != std::string::npos) {
      item.value().zero_();
    } else {
      item.value().normal_(0, std);
    }
  }
  if (!head_only)
    teacher.model->named_parameters()["bert.embeddings.word_embeddings.weight"][0].zero_();
}

Teacher load_for_training(const std::string& model_dir, const TaskSpec& task,
                          const FinetuneOptions& o) {
  Teacher teacher = [&] {
    if (!o.random_init) return load_teacher(model_dir, /*allow_missing_head=*/true);
    BertConfig config = read_bert_config(model_dir);
    auto tokenizer =
        WordPieceTokenizer::from_vocab_file(model_dir + "/vocab.txt", config.lower_case);
    config.num_labels = task.num_labels();
    Teacher t{config, std::move(tokenizer), BertClassifier(config), nullptr};
    init_like_transformers(t, false);
    return t;
  }();
  if (teacher.config.num_labels != task.num_labels()) {
    if (!o.reinit_classifier && !o.random_init) {
      fail_file(model_dir, "has " + std::to_string(teacher.config.num_labels) +
                               " labels but task " + task.describe() + " has " +
                               std::to_string(task.num_labels()) +
                               " (use --reinit-classifier for a fresh classifier)");
    }
    BertConfig config = teacher.config;
    config.num_labels = task.num_labels();
    BertClassifier resized(config);
    auto source = teacher.model->named_parameters();
    torch::NoGradGuard no_grad;
    for (auto& item : resized->named_parameters()) {
      if (item.key().rfind("classifier.", 0) != 0) item.value().copy_(source[item.key()]);
    }
    teacher.config = config;
    teacher.model = resized;
  }
  if (o.reinit_classifier) init_like_transformers(teacher, true);
  teacher.config.id2label = task.labels;
  return teacher;
}

struct Encoded {
  std::vector<Encoding> encodings;
  std::vector<int64_t> labels;
};

Encoded encode(const Teacher& teacher, const Dataset& data, bool pair, size_t max_length) {
  Encoded out;
  for (const auto& e : data.examples) {
    out.encodings.push_back(
        pair ? teacher.tokenizer.encode(e.text_a, std::string_view(e.text_b), max_length)
             : teacher.tokenizer.encode(e.text_a, std::nullopt, max_length));
    out.labels.push_back(e.label);
  }
  return out;
}

double dev_accuracy(Teacher& teacher, const Dataset& dev, bool pair, const FinetuneOptions& o) {
  teacher.model->eval();
  TeacherRunOptions run{64, o.max_length, o.device, o.bf16 ? Precision::bf16 : Precision::fp32};
  const auto predicted =
      teacher_logits(teacher, dev.examples, 0, dev.examples.size(), pair, run, nullptr).argmax(1);
  int64_t correct = 0;
  for (size_t i = 0; i < dev.examples.size(); ++i)
    correct += predicted[i].item<int64_t>() == dev.examples[i].label;
  teacher.model->train();
  return static_cast<double>(correct) / dev.examples.size();
}

std::unique_ptr<torch::optim::AdamW> make_optimizer(Teacher& teacher, const FinetuneOptions& o,
                                                    double lr) {
  // No weight decay on biases and LayerNorm weights, as transformers' Trainer.
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& item : teacher.model->named_parameters()) {
    const bool exempt = item.key().find("bias") != std::string::npos ||
                        item.key().find("LayerNorm") != std::string::npos;
    (exempt ? no_decay : decay).push_back(item.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay,
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(lr).weight_decay(o.weight_decay).eps(1e-8)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(lr).weight_decay(0).eps(1e-8)));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(lr));
}

std::string lr_name(double lr) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "lr-%g", lr);
  return buffer;
}

// transformers' get_linear_schedule_with_warmup, as a factor on the learning rate.
struct LinearSchedule {
  size_t steps_per_epoch;
  double total_steps, warmup_steps;

  LinearSchedule(size_t rows, const FinetuneOptions& o)
      : steps_per_epoch((rows + o.batch - 1) / o.batch),
        total_steps(static_cast<double>(steps_per_epoch * o.epochs)),
        warmup_steps(std::max(1.0, o.warmup * total_steps)) {}

  double scale(size_t step) const {
    if (step < warmup_steps) return (step + 1) / warmup_steps;
    return std::max(0.0, (total_steps - step) / (total_steps - warmup_steps));
  }
};

// What every learning rate's run shares.
struct RunInputs {
  std::string model_dir, vocab_path;
  TaskSpec task;
  Encoded train;
  Dataset dev;
  nlohmann::json settings;                // a resumed run must have been started with the same
  DataParallel* data_parallel = nullptr;  // one of several processes, or null
};

nlohmann::json run_settings(const FinetuneOptions& o, const std::string& model_dir,
                            const std::string& train_path, size_t train_rows) {
  return {{"model", model_dir},
          {"train", train_path},
          {"train_rows", train_rows},
          {"epochs", o.epochs},
          {"batch", o.batch},
          {"max_length", o.max_length},
          {"warmup", o.warmup},
          {"weight_decay", o.weight_decay},
          {"clip_norm", o.clip_norm},
          {"seed", o.seed},
          {"bf16", o.bf16},
          {"reinit_classifier", o.reinit_classifier},
          {"random_init", o.random_init}};
}

struct EpochStats {
  double mean_loss, seconds;
  size_t steps;
};

// One pass over the training set in the epoch's shuffled order: AdamW steps on the schedule.
EpochStats train_epoch(Teacher& teacher, torch::optim::AdamW& optimizer, const Encoded& train,
                       const FinetuneOptions& o, double lr, const LinearSchedule& schedule,
                       int epoch, DataParallel* dp) {
  std::vector<size_t> order(train.labels.size());
  size_t step = (epoch - 1) * schedule.steps_per_epoch;
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed * 1000003 + epoch);  // the epoch's order does not depend on resuming
  seeded_shuffle(order, rng);
  Progress progress("lr " + lr_name(lr).substr(3) + " epoch " + std::to_string(epoch),
                    static_cast<int64_t>(order.size()), "ex");
  // The loss stays on the device; reading it every step would wait for the GPU each time.
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions(o.device));
  const auto start = Clock::now();
  size_t steps = 0;
  for (size_t b = 0; b < order.size(); b += o.batch, ++steps, ++step) {
    const std::vector<size_t> global(order.begin() + b,
                                     order.begin() + std::min(order.size(), b + o.batch));
    // Data-parallel: this process's slice of the global batch, its loss summed and divided by
    // the global batch size, so that the gradients summed over the processes are the single
    // process's mean-loss gradients.
    const std::vector<size_t> rows = dp ? dp->local_rows(global) : global;
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr * schedule.scale(step));
    optimizer.zero_grad();
    torch::Tensor loss = torch::zeros({}, torch::TensorOptions(o.device));
    if (!rows.empty()) {
      const EncodedBatch batch = pad_batch(train.encodings, rows, teacher.tokenizer.pad_id());
      auto labels = torch::empty({static_cast<int64_t>(rows.size())}, torch::kInt64);
      int64_t* label = labels.data_ptr<int64_t>();
      for (size_t i = 0; i < rows.size(); ++i) label[i] = train.labels[rows[i]];
      AutocastGuard autocast(o.device.type(), o.bf16);
      const auto logits = teacher.model->forward(batch.ids.to(o.device), batch.types.to(o.device),
                                                 batch.mask.to(o.device));
      loss = torch::nn::functional::cross_entropy(
                 logits.to(torch::kFloat32), labels.to(o.device),
                 torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) /
             static_cast<double>(global.size());
      loss.backward();
    }
    if (dp) {
      torch::Tensor summed = loss.detach().clone();
      dp->sum_gradients(teacher.model->parameters(), summed);
      loss = summed;
    }
    torch::nn::utils::clip_grad_norm_(teacher.model->parameters(), o.clip_norm);
    optimizer.step();
    loss_sum += loss.detach();
    if ((steps + 1) % 50 == 0) {
      char note[48];
      std::snprintf(note, sizeof note, "loss %.4f", loss_sum.item<double>() / (steps + 1));
      progress.set_note(note);
    }
    progress.add(static_cast<int64_t>(global.size()));
  }
  const double mean_loss =
      loss_sum.item<double>() / std::max<size_t>(steps, 1);  // waits for the GPU
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress.finish();
  return {mean_loss, seconds, steps};
}

// One learning rate: epochs of AdamW steps, dev accuracy after each, the best state kept in
// work_dir/best and the last finished epoch in work_dir/last (for resuming).
LearningRateResult train_one_rate(const RunInputs& in, const std::string& work_dir, double lr,
                                  const FinetuneOptions& o) {
  Teacher teacher = load_for_training(in.model_dir, in.task, o);
  const std::string last = work_dir + "/last";
  RateProgress progress{0, {lr, -1, 0}, in.settings};
  bool resuming = false;
  if (fs::exists(last + "/progress.json")) {
    RateProgress saved = read_last_epoch(last, lr);
    resuming = saved.settings == in.settings;
    if (resuming) {
      progress = std::move(saved);
      load_bert_weights(teacher.model, SafetensorsFile(last + "/model.safetensors"), false);
    } else {
      std::fprintf(stderr, "lr %g: %s was made with other settings; starting over\n", lr,
                   work_dir.c_str());
    }
  }
  teacher.model->to(o.device, torch::kFloat32);  // --bf16 is autocast: float32 master weights
  teacher.model->train();
  DataParallel* dp = in.data_parallel;
  if (dp) dp->broadcast(teacher.model->parameters());  // rank 0's weights everywhere
  auto optimizer = make_optimizer(teacher, o, lr);
  if (resuming) {
    restore_last_epoch(last, *optimizer, o.device);
    std::fprintf(stderr, "lr %g: resuming after epoch %d\n", lr, progress.epoch);
  }
  const LinearSchedule schedule(in.train.labels.size(), o);
  for (int epoch = progress.epoch + 1; epoch <= o.epochs; ++epoch) {
    const EpochStats stats = train_epoch(teacher, *optimizer, in.train, o, lr, schedule, epoch, dp);
    const double accuracy = dev_accuracy(teacher, in.dev, in.task.is_pair(), o);
    std::fprintf(stderr,
                 "lr %g epoch %d: train loss %.4f, dev accuracy %.4f, training %.1f s (%.2f "
                 "steps/s)\n",
                 lr, epoch, stats.mean_loss, accuracy, stats.seconds, stats.steps / stats.seconds);
    progress.epoch = epoch;
    // Every process holds the same weights; the first one writes them.
    const bool writes = !dp || dp->is_main();
    if (accuracy > progress.result.best_dev_accuracy) {
      progress.result.best_dev_accuracy = accuracy;
      progress.result.best_epoch = epoch;
      if (writes) save_teacher(work_dir + "/best", teacher, in.vocab_path);
    }
    if (writes) save_last_epoch(last, teacher, *optimizer, progress, in.vocab_path, o.device);
    if (dp) dp->barrier();  // the epoch is on disk before any process starts the next
  }
  return progress.result;
}

void check_options(const FinetuneOptions& o) {
  if (o.epochs < 1) throw Error("--epochs must be at least 1");
  if (o.batch == 0) throw Error("--batch must be positive");
  if (!(o.warmup >= 0 && o.warmup <= 1))
    throw Error("--warmup must be in [0, 1] (a share of the steps)");
  if (!(o.weight_decay >= 0)) throw Error("--weight-decay must not be negative");
}

}  // namespace

FinetuneResult finetune_teacher(const std::string& model_dir, TaskSpec task,
                                const std::string& train_path, const std::string& dev_path,
                                const std::string& out_dir, const FinetuneOptions& options) {
  check_options(options);
  FinetuneOptions o = options;  // a data-parallel process's GPU is chosen below
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec)) fail_file(model_dir, "no such model directory");
  if (!o.random_init && !fs::exists(model_dir + "/model.safetensors", ec)) {
    fail_file(model_dir + "/model.safetensors",
              "no such file (the directory has no weights; --init random "
              "trains from a config-only directory)");
  }
  ReadOptions read_options;
  read_options.discover_labels = true;
  read_options.format = o.format;
  const Dataset train = read_dataset(train_path, task, read_options);
  ReadOptions dev_options;
  dev_options.format = o.format;
  Dataset dev = read_dataset(dev_path, task, dev_options);
  if (task.num_labels() < 2) fail_file(train_path, "needs at least two distinct labels");
  RunInputs in{model_dir,      model_dir + "/vocab.txt",
               task,           {},
               std::move(dev), run_settings(o, model_dir, train_path, train.examples.size())};
  {  // the tokenizer and the length limit; the probe's weights are not kept
    torch::manual_seed(o.seed);
    const Teacher probe = load_for_training(model_dir, task, o);
    in.train = encode(probe, train, task.is_pair(), checked_max_length(o.max_length, probe.config));
  }
  const std::unique_ptr<DataParallel> dp = DataParallel::from_environment();
  in.data_parallel = dp.get();
  if (dp && o.device.is_cuda() && !o.device.has_index()) {
    // One GPU per process: the node-local rank's, as torchrun and srun number them.
    const auto gpus = static_cast<int>(torch::cuda::device_count());
    if (gpus < 1) throw Error("--device cuda, but no GPU is visible to this process");
    o.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(dp->local_rank() % gpus));
  }
  if (dp)
    std::fprintf(stderr, "finetune: data-parallel, %s, on %s\n", dp->describe().c_str(),
                 o.device.str().c_str());
  FinetuneResult result;
  const std::string work = out_dir + ".work";
  fs::create_directories(work);
  for (double lr : o.learning_rates) {
    torch::manual_seed(o.seed);
    const std::string lr_dir = work + "/" + lr_name(lr);
    fs::create_directories(lr_dir);
    result.runs.push_back(train_one_rate(in, lr_dir, lr, o));
    std::fprintf(stderr, "lr %g: best dev accuracy %.4f (epoch %d)\n", lr,
                 result.runs.back().best_dev_accuracy, result.runs.back().best_epoch);
    if (result.runs.back().best_dev_accuracy > result.best.best_dev_accuracy)
      result.best = result.runs.back();
  }
  if (dp && !dp->is_main()) {  // the first process writes the output
    result.wrote_output = false;
    return result;
  }
  // The best rate's best epoch becomes the output directory.
  const std::string best_dir = work + "/" + lr_name(result.best.lr) + "/best";
  AtomicDirectory out(out_dir);
  for (const auto& file : fs::directory_iterator(best_dir))
    fs::copy(file.path(), out.staged(file.path().filename()));
  out.commit();
  fs::remove_all(work, ec);
  return result;
}

}  // namespace b2b
