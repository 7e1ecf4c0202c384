#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "data/dataset.h"
#include "data/metrics.h"
#include "student/checkpoint.h"
#include "student/inference.h"
#include "util/error.h"

namespace b2b::cli {

namespace {

struct Flags {
  TaskFlags task;
  std::string model, data;
  bool json = false;
  int threads = 0;
  size_t batch = 512;
};

// The data is read with the model's label order; a --task that disagrees is an error.
TaskSpec task_for_model(const TaskFlags& flags, const TaskSpec& model_task, const std::string& model_dir) {
  if (flags.task.empty()) return model_task;
  TaskSpec task = flags.parse();
  if (task.labels.empty()) task.labels = model_task.labels;
  if (task.labels != model_task.labels) {
    fail_file(model_dir, "was trained on task " + model_task.describe() + ", whose labels differ from --task " +
                             task.describe());
  }
  return task;
}

void run(const Flags& f) {
  set_threads(f.threads);
  Student student = load_student(f.model);
  TaskSpec task = task_for_model(f.task, student.config.task, f.model);
  const Dataset data = read_dataset(f.data, task);
  const BasicTokenizer tokenizer;
  const auto examples = encode_examples(data, tokenizer, student.vocab, task.is_pair());
  const torch::Tensor predicted = predict_logits(student.model, examples, f.batch, true).argmax(1);
  std::vector<int> gold, pred;
  for (size_t i = 0; i < examples.size(); ++i) {
    gold.push_back(examples[i].gold);
    pred.push_back(static_cast<int>(predicted[static_cast<int64_t>(i)].item<int64_t>()));
  }
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
  cmd->add_option("--model", flags->model, "student directory")->required();
  add_task_flags(cmd, flags->task, /*required=*/false);
  cmd->add_option("--data", flags->data, "labeled task file")->required();
  cmd->add_option("--batch", flags->batch)->capture_default_str();
  cmd->add_flag("--json", flags->json, "print metrics as JSON");
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
