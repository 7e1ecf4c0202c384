#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/dataset.h"
#include "student/checkpoint.h"
#include "student/trainer.h"
#include "student/word_vectors.h"
#include "text/basic_tokenizer.h"
#include "util/error.h"

namespace b2b::cli {

namespace {

// Batch 0 means "the task's default", decided once the task is known.
TrainOptions unset_batch() {
  TrainOptions options;
  options.batch_size = 0;
  return options;
}

struct Flags {
  TaskFlags task;
  std::string train, dev, out, vectors, vectors_format = "auto", embedding_mode;
  int64_t min_count = 1, embedding_dim = 300, hidden = 0, fc = 0;
  double dropout = 0.1;
  int threads = 0;
  TrainOptions options = unset_batch();
};

Vocabulary build_vocabulary(const Dataset& data, const BasicTokenizer& tokenizer, int64_t min_count) {
  std::unordered_map<std::string, int64_t> counts;
  std::vector<std::string> words;
  for (const Example& e : data.examples) {
    words.clear();
    tokenizer.tokenize(e.text_a, words);
    tokenizer.tokenize(e.text_b, words);
    for (const auto& w : words) ++counts[w];
  }
  return Vocabulary::build(counts, min_count);
}

// Rows for the embedding tables: pretrained where the word has a vector, U(-0.25, 0.25)
// otherwise, zeros for padding.
torch::Tensor embedding_rows(const WordVectors& vectors, const Vocabulary& vocab) {
  torch::Tensor rows = torch::empty({static_cast<int64_t>(vocab.size()), vectors.dim}).uniform_(-0.25, 0.25);
  rows[Vocabulary::kPad].zero_();
  size_t found = 0;
  for (size_t id = 3; id < vocab.size(); ++id) {
    const auto it = vectors.vectors.find(vocab.word(static_cast<int64_t>(id)));
    if (it == vectors.vectors.end()) continue;
    rows[static_cast<int64_t>(id)].copy_(torch::from_blob(const_cast<float*>(it->second.data()), {vectors.dim}));
    ++found;
  }
  std::fprintf(stderr, "word vectors: %zu of %zu vocabulary words found (%zu vectors in the file)\n",
               found, vocab.size() - 3, vectors.total_words);
  return rows;
}

StudentConfig make_config(const Flags& f, const TaskSpec& task, const Vocabulary& vocab) {
  StudentConfig config;
  config.task = task;
  apply_task_defaults(config);
  if (f.hidden > 0) config.hidden_size = f.hidden;
  if (f.fc > 0) config.fc_size = f.fc;
  config.dropout = f.dropout;
  config.vocab_size = static_cast<int64_t>(vocab.size());
  config.embedding_dim = f.embedding_dim;
  const std::string mode = f.embedding_mode.empty() ? (f.vectors.empty() ? "rand" : "multichannel")
                                                    : f.embedding_mode;
  config.embedding_mode = parse_embedding_mode(mode);
  if (config.embedding_mode != EmbeddingMode::kRand && f.vectors.empty()) {
    throw Error("--embedding-mode " + mode + " needs --vectors");
  }
  return config;
}

void run(Flags f) {
  set_threads(f.threads);
  TaskSpec task = f.task.parse();
  if (f.options.batch_size == 0) f.options.batch_size = task.is_pair() ? 256 : 50;
  ReadOptions read_options;
  read_options.discover_labels = true;
  const Dataset train = read_dataset(f.train, task, read_options);
  validate_train_options(f.options, train.has_logits, f.train);
  if (task.num_labels() < 2) fail_file(f.train, "needs at least two distinct labels");
  Dataset dev;
  if (!f.dev.empty()) dev = read_dataset(f.dev, task);

  const BasicTokenizer tokenizer;
  const Vocabulary vocab = build_vocabulary(train, tokenizer, f.min_count);
  WordVectors vectors;
  Flags sized = f;
  if (!f.vectors.empty()) {
    vectors = load_word_vectors(f.vectors, parse_vectors_format(f.vectors_format), &vocab);
    sized.embedding_dim = vectors.dim;
  }
  const StudentConfig config = make_config(sized, task, vocab);
  StudentModel model(config);
  if (!f.vectors.empty()) model->set_pretrained_embeddings(embedding_rows(vectors, vocab));

  std::fprintf(stderr, "student: %zu train rows, %zu dev rows, vocabulary %zu, %lld parameters "
               "(%lld without embeddings), embeddings %s\n",
               train.examples.size(), dev.examples.size(), vocab.size(),
               static_cast<long long>(model->count_parameters(true)),
               static_cast<long long>(model->count_parameters(false)),
               embedding_mode_name(config.embedding_mode).c_str());
  const auto train_ids = encode_examples(train, tokenizer, vocab, task.is_pair());
  const auto dev_ids = encode_examples(dev, tokenizer, vocab, task.is_pair());
  nlohmann::json summary = {{"train", f.train}, {"dev", f.dev}, {"vectors", f.vectors},
                            {"alpha", f.options.alpha}, {"optimizer", f.options.optimizer},
                            {"lr", f.options.lr}, {"batch", f.options.batch_size}, {"seed", f.options.seed}};
  const TrainResult result = train_student(model, train_ids, dev_ids, f.options, [&](int epoch, double acc) {
    summary["best_epoch"] = epoch;
    summary["best_dev_accuracy"] = acc;
    save_student(f.out, config, vocab, model, summary);
  });
  summary["history"] = result.to_json()["epochs"];
  // Rewrite config.json's training record with the whole history; the weights are the best.
  Student best = load_student(f.out);
  save_student(f.out, best.config, best.vocab, best.model, summary);
  std::printf("best epoch %d, dev accuracy %.4f; student saved to %s\n", result.best_epoch,
              result.best_dev_accuracy, f.out.c_str());
}

}  // namespace

void add_student_command(CLI::App& app) {
  auto* student = app.add_subcommand("student", "Train the BiLSTM student");
  student->require_subcommand(1);
  auto flags = std::make_shared<Flags>();
  auto* cmd = student->add_subcommand("train", "Train a student on a task file or a transfer set");
  add_task_flags(cmd, flags->task);
  cmd->add_option("--train", flags->train, "task file (gold labels) or transfer set (logit_* columns)")->required();
  cmd->add_option("--dev", flags->dev, "dev file for model selection and early stopping");
  cmd->add_option("--out", flags->out, "student directory to write")->required();
  cmd->add_option("--vectors", flags->vectors, "word vectors (word2vec binary/text, GloVe text)");
  cmd->add_option("--vectors-format", flags->vectors_format, "auto|word2vec-bin|word2vec-text|glove")
      ->capture_default_str();
  cmd->add_option("--embedding-mode", flags->embedding_mode,
                  "rand|static|non-static|multichannel (default: multichannel with --vectors, else rand)");
  cmd->add_option("--embedding-dim", flags->embedding_dim, "embedding size without --vectors")->capture_default_str();
  cmd->add_option("--min-count", flags->min_count, "keep words seen this often")->capture_default_str();
  cmd->add_option("--hidden", flags->hidden, "LSTM size per direction (default: 150, pair tasks 300)");
  cmd->add_option("--fc", flags->fc, "ReLU layer size (default: 200, pair tasks 400)");
  cmd->add_option("--dropout", flags->dropout)->capture_default_str();
  auto& o = flags->options;
  cmd->add_option("--epochs", o.epochs)->capture_default_str();
  cmd->add_option("--batch", o.batch_size, "batch size (default: the paper's 50, pair tasks 256)");
  cmd->add_option("--optimizer", o.optimizer, "adadelta|sgd|adam")->capture_default_str();
  cmd->add_option("--lr", o.lr)->capture_default_str();
  cmd->add_option("--rho", o.rho, "Adadelta decay")->capture_default_str();
  cmd->add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay)->capture_default_str();
  cmd->add_option("--alpha", o.alpha, "loss = alpha*CE + (1-alpha)*MSE(logits); 0 = BiLSTM_SOFT")
      ->capture_default_str();
  cmd->add_option("--clip-norm", o.clip_norm, "gradient norm clip (0 = off)")->capture_default_str();
  cmd->add_option("--patience", o.patience, "stop after this many epochs without dev gain (0 = never)")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed)->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
