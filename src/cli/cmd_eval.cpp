#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/dataset.h"
#include "data/metrics.h"
#include "student/checkpoint.h"
#include "student/inference.h"
#include "teacher/inference.h"
#include "util/error.h"

namespace b2b::cli {

namespace {

struct Flags {
  TaskFlags task;
  std::string model, data, device = "cpu";
  bool json = false;
  int threads = 0;
  size_t batch = 512;
};

// The data is read with the model's label order; a --task that disagrees is an error.
TaskSpec task_for_model(const TaskFlags& flags, const TaskSpec& model_task,
                        const std::string& model_dir) {
  if (flags.task.empty()) return model_task;
  TaskSpec task = flags.parse();
  if (task.labels.empty()) task.labels = model_task.labels;
  if (task.labels != model_task.labels) {
    fail_file(model_dir, "was trained on task " + model_task.describe() +
                             ", whose labels differ from --task " + task.describe());
  }
  return task;
}

// A teacher directory carries no task: --task says it, and the label count must agree.
TaskSpec task_for_teacher(const TaskFlags& flags, const Teacher& teacher,
                          const std::string& model_dir) {
  if (flags.task.empty()) throw Error("eval: a teacher model needs --task");
  TaskSpec task = flags.parse();
  if (task.labels.empty()) {
    task.labels = teacher.config.id2label;
  }
  if (task.num_labels() != teacher.config.num_labels) {
    fail_file(model_dir, "has " + std::to_string(teacher.config.num_labels) + " labels but task " +
                             task.describe() + " has " + std::to_string(task.num_labels()));
  }
  return task;
}

// Gold label ids and predicted ids for the data, from a student or a teacher directory.
void predict(const Flags& f, TaskSpec& task, std::vector<int>& gold, std::vector<int>& pred) {
  torch::Tensor logits;
  if (is_bert_directory(f.model)) {
    TeacherRunOptions options;
    options.device = parse_device(f.device);
    Teacher teacher = load_teacher(f.model);
    task = task_for_teacher(f.task, teacher, f.model);
    const Dataset data = read_dataset(f.data, task);
    prepare_teacher(teacher, options);
    Progress progress("eval", static_cast<int64_t>(data.examples.size()), "sentences");
    logits = teacher_logits(teacher, data.examples, 0, data.examples.size(), task.is_pair(),
                            options, &progress);
    for (const auto& e : data.examples) gold.push_back(e.label);
  } else {
    Student student = load_student(f.model);
    task = task_for_model(f.task, student.config.task, f.model);
    const Dataset data = read_dataset(f.data, task);
    const BasicTokenizer tokenizer;
    const auto examples = encode_examples(data, tokenizer, student.vocab, task.is_pair());
    logits = predict_logits(student.model, examples, f.batch, true);
    for (const auto& e : examples) gold.push_back(e.gold);
  }
  const torch::Tensor predicted = logits.argmax(1).contiguous();
  pred.assign(predicted.data_ptr<int64_t>(), predicted.data_ptr<int64_t>() + predicted.numel());
}

void run(const Flags& f) {
  set_threads(f.threads);
  TaskSpec task;
  std::vector<int> gold, pred;
  predict(f, task, gold, pred);
  const Metrics metrics = compute_metrics(gold, pred, task.labels);
  if (f.json) {
    nlohmann::json out = metrics_to_json(metrics);
    out["model"] = f.model;
    out["data"] = f.data;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << f.data << "\n" << format_metrics(metrics);
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("eval", "Score a model on a labeled file");
  cmd->add_option("--model", flags->model,
                  "student directory or Hugging Face BERT classifier directory")
      ->required();
  add_task_flags(cmd, flags->task, /*required=*/false);
  cmd->add_option("--data", flags->data, "labeled task file")->required();
  cmd->add_option("--batch", flags->batch, "student batch")
      ->capture_default_str()
      ->check(positive_integer());
  cmd->add_flag("--json", flags->json, "print metrics as JSON");
  cmd->add_option("--device", flags->device, "cpu or cuda (BERT directories)")
      ->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
