#include <algorithm>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/student_classifier.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "data/dataset.h"
#include "data/metrics.h"
#include "teacher/bert_config.h"
#include "teacher/teacher_classifier.h"
#include "util/error.h"
#include "util/progress.h"

namespace b2b::cli {

namespace {

struct Flags {
  TaskFlags task;
  std::string model, data, device = "cpu", precision;
  bool json = false;
  int threads = 0;
  size_t max_words = ClassifierOptions{}.max_words;
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
TaskSpec task_for_teacher(const TaskFlags& flags, const Classifier& teacher,
                          const std::string& model_dir) {
  if (flags.task.empty()) throw Error("eval: a teacher model needs --task");
  TaskSpec task = flags.parse();
  if (task.labels.empty()) task.labels = teacher.labels();
  if (task.num_labels() != teacher.num_labels()) {
    fail_file(model_dir, "has " + std::to_string(teacher.num_labels()) + " labels but task " +
                             task.describe() + " has " + std::to_string(task.num_labels()));
  }
  return task;
}

// Gold label ids and predicted ids for the data, from a student or a teacher directory.
void predict(const Flags& f, int threads, TaskSpec& task, std::vector<int>& gold,
             std::vector<int>& pred) {
  std::vector<float> logits;
  int k = 0;
  ReadOptions data_options;
  data_options.format = f.task.file_format();
  if (is_bert_directory(f.model)) {
    TeacherClassifierOptions options;
    options.device = f.device;
    if (!f.precision.empty()) options.precision = f.precision;
    options.show_progress = true;
    const auto teacher = load_teacher_classifier(f.model, options);
    task = task_for_teacher(f.task, *teacher, f.model);
    const Dataset data = read_dataset(f.data, task, data_options);
    std::vector<std::string> singles;
    std::vector<TextPair> pairs;
    for (const auto& e : data.examples) {
      gold.push_back(e.label);
      if (task.is_pair()) {
        pairs.emplace_back(e.text_a, e.text_b);
      } else {
        singles.push_back(e.text_a);
      }
    }
    logits = task.is_pair() ? teacher->logits(pairs) : teacher->logits(singles);
    k = teacher->num_labels();
  } else {
    if (!f.precision.empty())
      throw Error("--precision " + f.precision + ": " + f.model +
                  " is a student directory; the flag sets a BERT teacher's arithmetic");
    ClassifierOptions options;
    options.max_batch = f.batch;
    options.max_words = f.max_words;
    options.threads = threads;
    const StudentClassifier student(read_student_directory(f.model), options);
    task = task_for_model(f.task, student.config().task, f.model);
    const Dataset data = read_dataset(f.data, task, data_options);
    const auto examples = student.encode(data.examples);
    for (const auto& e : examples) gold.push_back(e.gold);
    k = student.num_labels();
    logits.resize(examples.size() * k);
    Progress progress("eval", static_cast<int64_t>(examples.size()), "sentences");
    std::mutex progress_mutex;
    student.logits(examples, logits.data(), [&](size_t done) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      progress.add(static_cast<int64_t>(done));
    });
  }
  for (size_t i = 0; i < gold.size(); ++i) {
    const float* row = logits.data() + i * k;
    pred.push_back(static_cast<int>(std::max_element(row, row + k) - row));
  }
}

void run(const Flags& f) {
  const int threads = set_threads(f.threads);
  TaskSpec task;
  std::vector<int> gold, pred;
  predict(f, threads, task, gold, pred);
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
  add_format_flag(cmd, flags->task);
  cmd->add_option("--data", flags->data, "labeled task file")->required();
  cmd->add_option("--batch", flags->batch, "student batch")
      ->capture_default_str()
      ->check(positive_integer());
  cmd->add_flag("--json", flags->json, "print metrics as JSON");
  cmd->add_option("--device", flags->device, "cpu or cuda (BERT directories)")
      ->capture_default_str();
  add_precision_flag(cmd, flags->precision);
  cmd->add_option("--max-words", flags->max_words,
                  "words read per text by a student, the first ones (0: no limit)")
      ->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
