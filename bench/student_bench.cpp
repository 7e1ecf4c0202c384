// Times the SST-2 student the way bench/student_reference.py times the same model in PyTorch:
// one training epoch at batch 50 (libtorch; and once more as the trainer ran before issue 15),
// then inference over all training sentences at
// batch 512 and batch-1 latency, both with the BLAS runtime (what eval, predict and serve run)
// and with the libtorch model; and the public C++ API from text (tokenizing included), the
// Python package's reference. Writes the word ids and the epoch's batches so the reference runs
// the exact same batches, and the texts for bench/python_bench.py. Prints one JSON object.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/student_classifier.h"
#include "data/dataset.h"
#include "student/batching.h"
#include "student/checkpoint.h"
#include "student/inference.h"
#include "student/model.h"
#include "student/train_run.h"
#include "student/trainer.h"
#include "util/malloc_tuning.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void write_ids(const std::string& path, const std::vector<b2b::EncodedExample>& examples) {
  std::ofstream out(path);
  for (const auto& e : examples) {
    out << e.target;
    for (int64_t id : e.a) out << ' ' << id;
    out << '\n';
  }
}

void write_batches(const std::string& path, const std::vector<std::vector<size_t>>& batches) {
  std::ofstream out(path);
  for (const auto& batch : batches) {
    for (size_t i = 0; i < batch.size(); ++i) out << (i ? " " : "") << batch[i];
    out << '\n';
  }
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& line : lines) out << line << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  b2b::reexec_with_malloc_tuning(argv);  // as bert2bilstm runs (malloc_tuning.h)
  if (argc < 4) {
    std::cerr << "usage: student_bench TRAIN_TSV DEV_TSV WORK_DIR [THREADS [WORKERS]]\n";
    return 2;
  }
  const std::string work = argv[3];
  const int threads = argc > 4 ? std::atoi(argv[4]) : 2;
  // Training workers (TrainOptions::workers): 0 = as `student train` (one per thread).
  const int workers = argc > 5 ? std::atoi(argv[5]) : 0;
  torch::set_num_threads(threads);
  b2b::TaskSpec task = b2b::parse_task("sst2");
  const auto train = b2b::read_dataset(argv[1], task);
  const auto dev = b2b::read_dataset(argv[2], task);
  const b2b::BasicTokenizer tokenizer;
  const auto vocab = b2b::build_vocabulary(train, tokenizer);
  const auto train_ids = b2b::encode_examples(train, tokenizer, vocab, false);
  const auto dev_ids = b2b::encode_examples(dev, tokenizer, vocab, false);

  b2b::StudentConfig config;
  config.task = task;
  config.vocab_size = static_cast<int64_t>(vocab.size());
  // libtorch seeds its default generator from the system at start (as PyTorch does), so a
  // model built unseeded starts from different weights in every process: each model here is
  // built after seeding, as `student train` builds its own (student/train_run.cpp).
  torch::manual_seed(1);
  b2b::StudentModel model(config);
  std::mt19937_64 rng(1);
  const auto batches = b2b::training_batches(train_ids, 50, rng);
  write_ids(work + "/train_ids.txt", train_ids);
  write_ids(work + "/dev_ids.txt", dev_ids);
  write_batches(work + "/batches.txt", batches);

  // One epoch of `student train` itself (its trainer: sparse embedding rows, the batch cut
  // over `threads` workers), on the batches written above (the trainer draws them from the
  // same seed), without a dev set.
  b2b::TrainOptions train_options;
  train_options.epochs = 1;
  train_options.seed = 1;
  train_options.workers = workers;
  const auto trained = b2b::train_student(model, train_ids, {}, train_options, [](int, double) {});
  const double epoch_seconds = trained.history.at(0).seconds;
  // The same epoch as the trainer ran it before issue 15: the whole embedding table's gradient
  // and update every step, one forward and backward over all threads, torch::nn::LSTM's own
  // packed forward.
  b2b::TrainOptions before_options = train_options;
  before_options.sparse_embedding_gradients = false;
  before_options.workers = 1;
  torch::manual_seed(1);
  b2b::StudentModel before_model(config);  // the same initial weights as `model`
  before_model->set_torch_lstm(true);
  const auto before =
      b2b::train_student(before_model, train_ids, {}, before_options, [](int, double) {});
  const double before_seconds = before.history.at(0).seconds;
  model->eval();

  model->set_sparse_embedding_gradients(false);
  // The runtime reads the trained model from disk, as every deployment does.
  b2b::save_student(work + "/student", config, vocab, model);
  b2b::ClassifierOptions options;
  options.max_batch = 512;
  options.threads = threads;
  const b2b::StudentClassifier runtime(b2b::read_student_directory(work + "/student"), options);
  std::vector<float> logits(train_ids.size() * 2);
  auto start = Clock::now();
  runtime.logits(train_ids, logits.data());
  const double runtime_seconds = seconds_since(start);

  const size_t n_latency = std::min<size_t>(dev_ids.size(), 500);
  std::vector<const std::vector<int64_t>*> one(1);
  float row[2];
  start = Clock::now();
  for (size_t i = 0; i < n_latency; ++i) {
    one[0] = &dev_ids[i].a;
    runtime.runtime().logits(one, {}, row);
  }
  const double runtime_latency_ms = seconds_since(start) * 1000 / n_latency;

  // The public API from text, as a C++ program calls it (tokenizing included): what the Python
  // package's rows are compared with (bench/python_bench.py reads the same texts).
  std::vector<std::string> train_texts, dev_texts;
  for (const auto& e : train.examples) train_texts.push_back(e.text_a);
  for (const auto& e : dev.examples) dev_texts.push_back(e.text_a);
  write_lines(work + "/train_texts.txt", train_texts);
  write_lines(work + "/dev_texts.txt", dev_texts);
  const b2b::Classifier& api = runtime;
  start = Clock::now();
  const std::vector<float> api_logits = api.logits(train_texts);
  const double api_seconds = seconds_since(start);
  const size_t n_api_latency = 5000;
  start = Clock::now();
  for (size_t i = 0; i < n_api_latency; ++i) api.classify(dev_texts[i % dev_texts.size()]);
  const double api_latency_ms = seconds_since(start) * 1000 / n_api_latency;
  float api_difference = 0;  // from text and from the word ids: the same logits
  for (size_t i = 0; i < logits.size(); ++i)
    api_difference = std::max(api_difference, std::abs(api_logits[i] - logits[i]));

  start = Clock::now();
  const torch::Tensor reference = b2b::predict_logits(model, train_ids, 512);
  const double libtorch_seconds = seconds_since(start);
  const float max_difference =
      (torch::from_blob(logits.data(), reference.sizes()) - reference).abs().max().item<float>();

  torch::NoGradGuard no_grad;
  start = Clock::now();
  for (size_t i = 0; i < n_latency; ++i) model->forward(b2b::collate(dev_ids, {i}));
  const double libtorch_latency_ms = seconds_since(start) * 1000 / n_latency;

  nlohmann::json result = {
      {"implementation", "bert2bilstm (training: C++ libtorch; inference: BLAS runtime)"},
      {"threads", threads},
      {"training_workers", workers},
      {"train_sentences", train_ids.size()},
      {"epoch_seconds", epoch_seconds},
      {"epoch_seconds_dense_one_step", before_seconds},
      // Same weights, same batches, same dropout: the two losses differ by float rounding.
      {"epoch_loss", trained.history.at(0).train_loss},
      {"epoch_loss_dense_one_step", before.history.at(0).train_loss},
      {"inference_sentences_per_second", train_ids.size() / runtime_seconds},
      {"batch1_latency_ms", runtime_latency_ms},
      {"api_text_sentences_per_second", train_texts.size() / api_seconds},
      {"api_text_batch1_latency_ms", api_latency_ms},
      {"api_text_max_abs_logit_difference", api_difference},
      {"libtorch_inference_sentences_per_second", train_ids.size() / libtorch_seconds},
      {"libtorch_batch1_latency_ms", libtorch_latency_ms},
      {"max_abs_logit_difference_runtime_vs_libtorch", max_difference},
      // What this process's allocator ran with; bench/run.sh starts the references with it.
      {"glibc_tunables", std::getenv("GLIBC_TUNABLES") ? std::getenv("GLIBC_TUNABLES") : ""}};
  std::cout << result.dump() << std::endl;
  return 0;
}
