#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "student/train_run.h"

namespace b2b::cli {

namespace {

struct Flags {
  TaskFlags task;
  int threads = 0;
  StudentRunSpec spec;
};

void run(Flags f) {
  set_threads(f.threads);
  f.spec.task = f.task.parse();
  f.spec.format = f.task.file_format();
  const TrainResult result = run_student_training(f.spec);
  if (f.spec.dev.empty()) {  // no model selection: the last epoch is kept
    std::printf("trained %d epoch%s (no --dev); student saved to %s\n", result.best_epoch,
                result.best_epoch == 1 ? "" : "s", f.spec.out.c_str());
    return;
  }
  std::printf("best epoch %d, dev accuracy %.4f; student saved to %s\n", result.best_epoch,
              result.best_dev_accuracy, f.spec.out.c_str());
}

}  // namespace

void add_student_command(CLI::App& app) {
  auto* student = app.add_subcommand("student", "Train the BiLSTM student");
  student->require_subcommand(1);
  auto flags = std::make_shared<Flags>();
  auto* cmd = student->add_subcommand("train", "Train a student on a task file or a transfer set");
  add_task_flags(cmd, flags->task);
  add_format_flag(cmd, flags->task);
  cmd->add_option("--train", flags->spec.train,
                  "task file (gold labels) or transfer set (logit_* columns)")
      ->required();
  cmd->add_option("--dev", flags->spec.dev, "dev file for model selection and early stopping");
  cmd->add_option("--out", flags->spec.out, "student directory to write")->required();
  cmd->add_option("--vectors", flags->spec.vectors,
                  "word vectors (word2vec binary/text, GloVe text)");
  cmd->add_option("--vectors-format", flags->spec.vectors_format,
                  "auto|word2vec-bin|word2vec-text|glove")
      ->capture_default_str();
  cmd->add_option(
      "--embedding-mode", flags->spec.embedding_mode,
      "rand|static|non-static|multichannel (default: multichannel with --vectors, else rand)");
  cmd->add_option("--embedding-dim", flags->spec.embedding_dim, "embedding size without --vectors")
      ->capture_default_str();
  cmd->add_option("--min-count", flags->spec.min_count, "keep words seen this often")
      ->capture_default_str();
  cmd->add_option("--hidden", flags->spec.hidden,
                  "LSTM size per direction (default: 150, pair tasks 300)")
      ->check(positive_integer());
  cmd->add_option("--fc", flags->spec.fc, "ReLU layer size (default: 200, pair tasks 400)")
      ->check(positive_integer());
  cmd->add_option("--dropout", flags->spec.dropout)->capture_default_str();
  auto& o = flags->spec.options;
  cmd->add_option("--epochs", o.epochs)->capture_default_str();
  cmd->add_option("--batch", o.batch_size, "batch size (default: the paper's 50, pair tasks 256)")
      ->check(positive_integer());
  cmd->add_option("--optimizer", o.optimizer, "adadelta|sgd|adam")->capture_default_str();
  cmd->add_option("--lr", o.lr)->capture_default_str();
  cmd->add_option("--rho", o.rho, "Adadelta decay")->capture_default_str();
  cmd->add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay)->capture_default_str();
  cmd->add_option("--alpha", o.alpha, "loss = alpha*CE + (1-alpha)*MSE(logits); 0 = BiLSTM_SOFT")
      ->capture_default_str();
  cmd->add_option("--alpha-rows", o.alpha_rows,
                  "rows the CE term applies to: all, or originals (rows with a gold label; the "
                  "others learn from the logits alone)")
      ->capture_default_str();
  cmd->add_option("--kl-temperature", o.kl_temperature,
                  "soft term: 0 = MSE of the logits (the paper's); T > 0 = KL of the probabilities "
                  "at temperature T, times T^2")
      ->capture_default_str();
  cmd->add_option("--word-dropout", o.word_dropout,
                  "replace training words by [UNK] with this probability (trains [UNK])")
      ->capture_default_str();
  cmd->add_option("--clip-norm", o.clip_norm, "gradient norm clip (0 = off)")
      ->capture_default_str();
  cmd->add_option("--patience", o.patience,
                  "stop after this many epochs without dev gain (0 = never)")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed)->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
