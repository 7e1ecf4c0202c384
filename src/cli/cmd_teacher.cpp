#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "teacher/finetune.h"
#include "teacher/labeler.h"
#include "util/error.h"

namespace b2b::cli {

namespace {

struct LabelFlags {
  TaskFlags task;
  std::string model, input, output, shard, device = "cpu", precision = "fp32";
  size_t batch = 64, max_length = 128, chunk_rows = 8192, shard_count = 0;
  bool bf16 = false;
  int threads = 0;
};

void run_label(const LabelFlags& f) {
  set_threads(f.threads);
  LabelOptions options;
  options.model_dir = f.model;
  std::string source;
  if (!f.shard.empty()) {
    options.shard = parse_shard(f.shard);
  } else if (shard_from_scheduler(f.shard_count, options.shard, source)) {
    std::fprintf(stderr, "label: shard %zu/%zu (from %s)\n", options.shard.index,
                 options.shard.count, source.c_str());
  }
  options.chunk_rows = std::max<size_t>(f.chunk_rows, 1);
  options.input_format = f.task.file_format();
  options.run.batch = f.batch;
  options.run.max_length = f.max_length;
  options.run.device = parse_device(f.device);
  options.run.precision = f.bf16 ? Precision::bf16 : parse_precision(f.precision);
  Teacher teacher = load_teacher(f.model);
  options.run.precision = prepare_teacher(teacher, options.run);
  const LabelSummary summary = label_file(teacher, f.task.parse(), f.input, f.output, options);
  std::fprintf(stderr, "labeled %zu rows%s in %.1f s (%.0f sentences/s): %s\n", summary.rows,
               summary.resumed_from
                   ? (" (resumed after " + std::to_string(summary.resumed_from) + ")").c_str()
                   : "",
               summary.seconds,
               (summary.rows - summary.resumed_from) / std::max(summary.seconds, 1e-9),
               f.output.c_str());
}

struct FinetuneFlags {
  TaskFlags task;
  std::string model, train, dev, out, lrs = "2e-5,3e-5,4e-5,5e-5", device = "cpu",
                                      init = "pretrained";
  int threads = 0;
  FinetuneOptions options;
};

void run_finetune(FinetuneFlags f) {
  set_threads(f.threads);
  f.options.learning_rates = parse_learning_rates(f.lrs);
  f.options.device = parse_device(f.device);
  if (f.init != "pretrained" && f.init != "random")
    throw Error("--init: expected pretrained or random");
  f.options.random_init = f.init == "random";
  f.options.format = f.task.file_format();
  const FinetuneResult result =
      finetune_teacher(f.model, f.task.parse(), f.train, f.dev, f.out, f.options);
  for (const auto& run : result.runs) {
    std::printf("lr %g: dev accuracy %.4f (epoch %d)\n", run.lr, run.best_dev_accuracy,
                run.best_epoch);
  }
  std::printf("best: lr %g, dev accuracy %.4f; %s %s\n", result.best.lr,
              result.best.best_dev_accuracy,
              result.wrote_output ? "written to" : "written by rank 0 to", f.out.c_str());
}

void add_finetune(CLI::App* teacher) {
  auto flags = std::make_shared<FinetuneFlags>();
  auto& o = flags->options;
  auto* cmd = teacher->add_subcommand(
      "finetune", "Fine-tune a BERT classifier; the best learning rate on dev wins");
  cmd->add_option("--model", flags->model, "Hugging Face BERT directory (pretrained or fine-tuned)")
      ->required();
  add_task_flags(cmd, flags->task);
  add_format_flag(cmd, flags->task);
  cmd->add_option("--train", flags->train, "labeled task file (as --format says)")->required();
  cmd->add_option("--dev", flags->dev, "labeled task file (as --format says)")->required();
  cmd->add_option("--out", flags->out, "Hugging Face directory to write")->required();
  cmd->add_option("--lr", flags->lrs, "comma-separated learning rates")->capture_default_str();
  cmd->add_option("--epochs", o.epochs)->capture_default_str();
  cmd->add_option("--batch", o.batch)->capture_default_str()->check(positive_integer());
  cmd->add_option("--max-length", o.max_length)->capture_default_str();
  cmd->add_option("--warmup", o.warmup, "share of steps with linear warm-up")
      ->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay)->capture_default_str();
  cmd->add_option("--seed", o.seed)->capture_default_str();
  cmd->add_option("--device", flags->device, "cpu or cuda")->capture_default_str();
  cmd->add_flag("--bf16", o.bf16, "train in bfloat16 (GPUs)");
  cmd->add_flag("--reinit-classifier", o.reinit_classifier, "a fresh classifier on the encoder");
  cmd->add_option("--init", flags->init, "pretrained, or random for a config-only directory")
      ->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run_finetune(*flags); });
}

}  // namespace

void add_teacher_command(CLI::App& app) {
  auto* teacher = app.add_subcommand("teacher", "BERT teacher: fine-tune, label transfer sets");
  teacher->require_subcommand(1);
  auto flags = std::make_shared<LabelFlags>();
  auto* cmd = teacher->add_subcommand(
      "label", "Add the teacher's logits (logit_0..) to every row of a file");
  cmd->add_option("--model", flags->model, "Hugging Face BERT classifier directory")->required();
  add_task_flags(cmd, flags->task);
  add_format_flag(cmd, flags->task);
  cmd->add_option("--input", flags->input, "task file or transfer set")->required();
  cmd->add_option("--output", flags->output, "transfer set to write (resumes a killed run)")
      ->required();
  cmd->add_option("--batch", flags->batch)->capture_default_str()->check(positive_integer());
  cmd->add_option("--max-length", flags->max_length, "WordPiece ids per example, specials included")
      ->capture_default_str();
  cmd->add_option("--shard", flags->shard,
                  "label the i-th of N contiguous slices (i/N); default: the scheduler's "
                  "(Slurm array task, Kubernetes Indexed Job), else the whole file");
  cmd->add_option("--shard-count", flags->shard_count,
                  "slices of a Kubernetes Indexed Job (its completions; JOB_COMPLETION_INDEX "
                  "gives the index)");
  cmd->add_option("--chunk-rows", flags->chunk_rows, "rows per resumable chunk")
      ->capture_default_str();
  cmd->add_option("--device", flags->device, "cpu or cuda")->capture_default_str();
  add_precision_flag(cmd, flags->precision);
  cmd->add_flag("--bf16", flags->bf16, "the same as --precision bf16");
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run_label(*flags); });
  add_finetune(teacher);

  auto merge_flags = std::make_shared<std::pair<std::string, std::string>>();
  auto* merge = teacher->add_subcommand(
      "merge", "Join the slices of a sharded `teacher label` run into one labeled file");
  merge->add_option("--input-glob", merge_flags->first, "the slices, e.g. 'labeled.shard-*.tsv'")
      ->required();
  merge->add_option("--output", merge_flags->second, "the merged transfer set")->required();
  merge->final_callback([merge_flags] {
    const MergeSummary summary = merge_shards(merge_flags->first, merge_flags->second);
    std::fprintf(stderr, "merged %zu shards, %zu rows: %s\n", summary.shards, summary.rows,
                 merge_flags->second.c_str());
  });
}

}  // namespace b2b::cli
