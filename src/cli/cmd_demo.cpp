#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "cli/common.h"
#include "demo/synthetic.h"
#include "pipeline/distill.h"
#include "teacher/finetune.h"
#include "util/atomic_file.h"

namespace b2b::cli {

namespace {

struct Flags {
  std::string out = "runs/demo";
  int threads = 0;
  uint64_t seed = 1;
};

// The gold sentences the demo's students see; the teacher learned from all 3,000.
constexpr int64_t kDemoGoldRows = 150;

// The whole pipeline on the built-in task, needing nothing from outside the repository, in
// the setting distillation is for: a teacher trained elsewhere on much labeled data (here the
// 3,000 synthetic training sentences, from random initialization), a user with a few gold
// labels (150 of them) and plenty of text without labels (10,000 synthetic sentences). Then
// distill: POS tagger, augmentation of the gold rows, labeling, the distilled student and the
// one trained on the gold rows alone (same architecture, as many optimizer steps), report.
void run(const Flags& f, const std::string& command) {
  set_threads(f.threads);
  const auto start = std::chrono::steady_clock::now();
  std::fprintf(stderr, "demo 1/3: generating the synthetic sentiment task in %s (seed %llu)\n",
               f.out.c_str(), static_cast<unsigned long long>(f.seed));
  SyntheticTaskOptions task_options;
  task_options.seed = f.seed;
  write_synthetic_task(f.out, task_options);
  const TaskSpec task = parse_task("sst2");

  const std::string teacher = f.out + "/teacher";
  if (!std::filesystem::exists(teacher + "/model.safetensors")) {
    std::fprintf(stderr, "demo 2/3: training a 4-layer BERT teacher from random initialization\n");
    FinetuneOptions options;
    options.learning_rates = {5e-4};
    options.epochs = 4;
    options.max_length = 64;
    options.random_init = true;
    options.seed = f.seed;
    finetune_teacher(f.out + "/teacher-config", task, f.out + "/data/train.tsv",
                     f.out + "/data/dev.tsv", teacher, options);
  }

  std::fprintf(stderr, "demo 3/3: distilling it into a BiLSTM\n");
  DistillSpec spec;
  spec.task = task;
  spec.data_dir = f.out + "/data";
  spec.teacher_dir = teacher;
  spec.label.max_length = 64;  // the teacher's position embeddings
  spec.out_dir = f.out + "/distill";
  spec.conllu = f.out + "/treebank.conllu";
  spec.augment.n_iter = 10;
  spec.augment.seed = f.seed;
  spec.gold_size = kDemoGoldRows;
  spec.unlabeled = {f.out + "/data/unlabeled.txt"};
  spec.teacher_trained_on = "the 3,000 synthetic training sentences (data/train.tsv), by `demo`";
  spec.student.options.seed = f.seed;
  spec.setting =
      "A teacher trained on 3,000 labeled sentences; the students get " +
      std::to_string(kDemoGoldRows) +
      " of them with their labels and 10,000 sentences without: the distilled one learns from "
      "the teacher's labels on all of those, the undistilled one from the gold sentences alone.";
  spec.student.hidden = 32;
  spec.student.fc = 32;
  spec.student.embedding_dim = 32;
  spec.student.options.epochs = 6;
  spec.student.options.patience = 3;
  spec.threads = f.threads > 0 ? f.threads : static_cast<int>(std::thread::hardware_concurrency());
  spec.command = command;
  run_distill(spec);
  std::printf("%s", read_file(spec.out_dir + "/report.md").c_str());
  std::printf("\ndemo finished in %.0f s; report: %s/report.md\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
              spec.out_dir.c_str());
}

}  // namespace

void add_demo_command(CLI::App& app, const std::string& command_line) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "demo", "The whole pipeline on a built-in synthetic task (no data needed)");
  cmd->add_option("--out", flags->out, "directory for every artifact")->capture_default_str();
  cmd->add_option("--seed", flags->seed, "seeds the synthetic data, the teacher and the students")
      ->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags, command_line] { run(*flags, command_line); });
}

}  // namespace b2b::cli
