#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/common.h"
#include "pipeline/distill.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b::cli {

namespace {

struct Flags {
  TaskFlags task;
  int threads = 0, n_iter = -1;
  std::string device = "cpu", gold_size = "all", precision = "fp32";
  DistillSpec spec;
};

void run(Flags f, const std::string& command) {
  set_threads(f.threads);
  f.spec.task = f.task.parse();
  f.spec.data_format = f.task.file_format();
  f.spec.threads =
      f.threads > 0 ? f.threads : static_cast<int>(std::thread::hardware_concurrency());
  f.spec.augment.n_iter = f.n_iter;
  if (f.gold_size != "all") {
    try {
      size_t used = 0;
      const long long n = std::stoll(f.gold_size, &used);
      if (used != f.gold_size.size() || n < 0) throw std::invalid_argument("negative");
      f.spec.gold_size = n;
    } catch (const std::exception&) {
      throw Error("--gold-size: expected a number of rows or 'all', got '" + f.gold_size + "'");
    }
  }
  f.spec.label.device = parse_device(f.device);
  f.spec.label.precision = parse_precision(f.precision);
  f.spec.command = command;
  if (!run_distill(f.spec)) return;
  std::printf("%s", read_file(f.spec.out_dir + "/report.md").c_str());
  std::printf("\nreport: %s/report.md\n", f.spec.out_dir.c_str());
}

}  // namespace

void add_distill_command(CLI::App& app, const std::string& command_line) {
  auto flags = std::make_shared<Flags>();
  auto& s = flags->spec;
  auto* cmd = app.add_subcommand("distill",
                                 "augment -> teacher label -> student train -> report, resumable");
  add_task_flags(cmd, flags->task);
  add_format_flag(cmd, flags->task);
  cmd->add_option("--data", s.data_dir,
                  "directory with train.tsv and dev.tsv (and test.tsv, if any), named as "
                  "--format says: train.csv, dev.csv with csv; train.jsonl, dev.jsonl with jsonl "
                  "(rewritten as TSV in OUT/data by the first stage)")
      ->required();
  cmd->add_option("--teacher", s.teacher_dir, "fine-tuned Hugging Face BERT classifier")
      ->required();
  cmd->add_option("--out", s.out_dir, "directory for every artifact")->required();
  cmd->add_option("--pos-model", s.pos_model, "POS model from 'pos train'");
  cmd->add_option("--conllu", s.conllu, "or a treebank to train one from");
  cmd->add_option("--transfer-from", s.transfer_from,
                  "take the POS model and labeled transfer set of this distill directory "
                  "(stages whose settings differ here rerun)");
  cmd->add_option("--from", s.from,
                  "redo from this stage on: data, pos, gold, augment, label, unlabeled, join, "
                  "student, baseline, report");
  cmd->add_option("--stop-after", s.stop_after,
                  "stop once this stage is done (e.g. label on a GPU host, train elsewhere)");
  cmd->add_flag(
      "--no-baseline", [&s](int64_t) { s.baseline = false; }, "skip the undistilled student");
  cmd->add_option("--n-iter", flags->n_iter, "augmentation samples per example (default per task)");
  cmd->add_option("--p-mask", s.augment.p_mask)->capture_default_str();
  cmd->add_option("--p-pos", s.augment.p_pos)->capture_default_str();
  cmd->add_option("--p-ng", s.augment.p_ng)->capture_default_str();
  cmd->add_option("--transfer-size", s.transfer_size,
                  "rows of the transfer set to label: every original row and a sample of the "
                  "augmented ones (the training set's size = the originals alone; 0 = all)")
      ->capture_default_str();
  cmd->add_option("--gold-size", flags->gold_size,
                  "gold rows the students see: a label-stratified sample of train.tsv (seeded "
                  "by --seed); 0 = the teacher's labels alone (no undistilled student)")
      ->capture_default_str();
  cmd->add_option("--unlabeled", s.unlabeled,
                  "texts without labels for the teacher to label, added to the transfer set "
                  "(repeatable). A file whose first line names the task's text column(s) is "
                  "delimited like the task's files (other columns ignored); any other file is "
                  "one text a line, no header (single-sentence tasks). Texts equal to a dev, "
                  "test or gold text, or to an earlier one, are dropped (compared tokenized and "
                  "lower-cased); not augmented");
  cmd->add_flag("--unlabeled-rest", s.unlabeled_rest,
                "add the rows of train.tsv outside the gold sample as unlabeled text");
  cmd->add_option("--unlabeled-size", s.unlabeled_size,
                  "label a seeded sample of this many distinct texts of the --unlabeled files (0 = "
                  "all; --unlabeled-rest is kept whole)")
      ->capture_default_str();
  cmd->add_option("--teacher-trained-on", s.teacher_trained_on,
                  "what the teacher was trained on, for the report (e.g. 'SST-2 train')");
  cmd->add_option("--label-batch", s.label.batch)->capture_default_str()->check(positive_integer());
  cmd->add_option("--label-chunk-rows", s.label_chunk_rows, "rows per resumable labeling chunk")
      ->capture_default_str();
  cmd->add_option("--max-length", s.label.max_length)->capture_default_str();
  cmd->add_option("--device", flags->device, "labeling device: cpu or cuda")->capture_default_str();
  add_precision_flag(cmd, flags->precision);
  cmd->add_option("--vectors", s.student.vectors, "word vectors for both students");
  cmd->add_option("--embedding-mode", s.student.embedding_mode);
  cmd->add_option("--hidden", s.student.hidden)->check(positive_integer());
  cmd->add_option("--fc", s.student.fc)->check(positive_integer());
  cmd->add_option("--dropout", s.student.dropout)->capture_default_str();
  cmd->add_option("--epochs", s.student.options.epochs)->capture_default_str();
  cmd->add_option("--batch", s.student.options.batch_size, "student batch (default per task)")
      ->check(positive_integer());
  cmd->add_option("--alpha", s.student.options.alpha,
                  "distilled student's CE weight (with --kl-temperature 0: 0 = the paper's "
                  "BiLSTM_SOFT)")
      ->capture_default_str();
  cmd->add_option("--alpha-rows", s.student.options.alpha_rows,
                  "rows the CE term applies to: all (gold label, else the teacher's argmax), or "
                  "originals (augmented rows learn from the logits alone)")
      ->capture_default_str();
  cmd->add_option("--kl-temperature", s.student.options.kl_temperature,
                  "soft term: T > 0 = KL of the probabilities at temperature T, times T^2; 0 = MSE "
                  "of the logits (the paper's)")
      ->capture_default_str();
  cmd->add_option("--patience", s.student.options.patience)->capture_default_str();
  cmd->add_option("--word-dropout", s.student.options.word_dropout,
                  "both students: replace training words by [UNK] with this probability")
      ->capture_default_str();
  cmd->add_option("--seed", s.augment.seed, "augmentation and transfer-set sampling seed")
      ->capture_default_str();
  cmd->add_option("--student-seed", s.student.options.seed,
                  "both students' initialization and batch order")
      ->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags, command_line] { run(*flags, command_line); });
}

}  // namespace b2b::cli
