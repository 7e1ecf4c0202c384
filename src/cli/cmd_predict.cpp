#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "student/checkpoint.h"
#include "student/inference.h"
#include "teacher/bert_config.h"
#include "teacher/inference.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b::cli {

namespace {

struct Flags {
  std::string model, device = "cpu";
  bool json = false;
  int threads = 0;
  size_t chunk = 512;
};

// What predict needs of a model, student or teacher: label names, how to read a line, and
// logits for a chunk of examples.
struct Predictor {
  TaskSpec task;                 // only the label names are used
  bool pairs_required = false;   // a pair student reads text_a<TAB>text_b on every line
  bool tab_splits_pair = false;  // a teacher takes either kind, line by line
  std::function<torch::Tensor(const Dataset&)> logits;
};

Predictor student_predictor(const std::string& dir) {
  auto student = std::make_shared<Student>(load_student(dir));
  Predictor p;
  p.task = student->config.task;
  p.pairs_required = p.task.is_pair();
  p.tab_splits_pair = p.pairs_required;
  p.logits = [student](const Dataset& chunk) {
    const BasicTokenizer tokenizer;
    const auto examples =
        encode_examples(chunk, tokenizer, student->vocab, student->config.task.is_pair());
    return predict_logits(student->model, examples, std::max<size_t>(1, examples.size()));
  };
  return p;
}

// A BERT directory has no task: its labels are config.json's id2label (or 0..k-1), and a
// line with a TAB is a sentence pair, as BERT itself takes either.
Predictor teacher_predictor(const std::string& dir, const Flags& f) {
  auto teacher = std::make_shared<Teacher>(load_teacher(dir));
  TeacherRunOptions options;
  options.device = parse_device(f.device);
  prepare_teacher(*teacher, options);
  Predictor p;
  p.task.labels = teacher->config.id2label;
  if (p.task.labels.empty()) {
    for (int64_t c = 0; c < teacher->config.num_labels; ++c)
      p.task.labels.push_back(std::to_string(c));
  }
  p.tab_splits_pair = true;
  p.logits = [teacher, options](const Dataset& chunk) {
    // Singles and pairs go through separately (teacher_logits encodes one kind per call).
    std::vector<Example> kinds[2];
    std::vector<int64_t> positions[2];
    for (size_t i = 0; i < chunk.examples.size(); ++i) {
      const bool pair = !chunk.examples[i].text_b.empty();
      kinds[pair].push_back(chunk.examples[i]);
      positions[pair].push_back(static_cast<int64_t>(i));
    }
    torch::Tensor logits =
        torch::empty({static_cast<int64_t>(chunk.examples.size()), teacher->config.num_labels});
    for (int pair = 0; pair < 2; ++pair) {
      if (kinds[pair].empty()) continue;
      logits.index_copy_(
          0, torch::tensor(positions[pair], torch::kInt64),
          teacher_logits(*teacher, kinds[pair], 0, kinds[pair].size(), pair, options, nullptr));
    }
    return logits;
  };
  return p;
}

void print_rows(const torch::Tensor& logits, const TaskSpec& task, bool json) {
  const torch::Tensor rows = logits.contiguous();
  const int k = static_cast<int>(logits.size(1));
  char number[32];
  for (int64_t i = 0; i < logits.size(0); ++i) {
    const float* row = rows.data_ptr<float>() + i * k;
    if (json) {
      std::cout << prediction_json(row, task).dump() << "\n";
      continue;
    }
    const RowPrediction p = predict_row(row, k);
    std::cout << task.labels[p.label];
    for (float probability : p.probabilities) {
      std::snprintf(number, sizeof number, "\t%.6f", probability);
      std::cout << number;
    }
    for (int c = 0; c < k; ++c) {
      std::snprintf(number, sizeof number, "\t%.9g", row[c]);
      std::cout << number;
    }
    std::cout << "\n";
  }
}

void run(const Flags& f) {
  set_threads(f.threads);
  const Predictor predictor =
      is_bert_directory(f.model) ? teacher_predictor(f.model, f) : student_predictor(f.model);
  const TaskSpec& task = predictor.task;
  if (!f.json) {
    std::cout << "label";
    for (const auto& l : task.labels) std::cout << "\tprob_" << l;
    for (size_t c = 0; c < task.labels.size(); ++c) std::cout << "\tlogit_" << c;
    std::cout << "\n";
  }
  Dataset chunk;
  std::string line;
  size_t line_number = 0;
  auto flush = [&] {
    if (chunk.examples.empty()) return;
    print_rows(predictor.logits(chunk), task, f.json);
    chunk.examples.clear();
  };
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!is_valid_utf8(line)) fail_line("<stdin>", line_number, "invalid UTF-8");
    Example example;
    const size_t tab = predictor.tab_splits_pair ? line.find('\t') : std::string::npos;
    if (predictor.pairs_required && tab == std::string::npos)
      fail_line("<stdin>", line_number, "a pair model needs text_a<TAB>text_b");
    if (tab == std::string::npos) {
      example.text_a = line;
    } else {
      example.text_a = line.substr(0, tab);
      example.text_b = line.substr(tab + 1);
    }
    chunk.examples.push_back(std::move(example));
    if (chunk.examples.size() >= f.chunk) flush();
  }
  flush();
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "predict",
      "Classify lines from stdin (text, or text_a<TAB>text_b for pair models) with a student or "
      "a BERT directory: label, probabilities, logits");
  cmd->add_option("--model", flags->model, "student or Hugging Face BERT classifier directory")
      ->required();
  cmd->add_flag("--json", flags->json, "one JSON object per line");
  cmd->add_option("--device", flags->device, "cpu or cuda (BERT directories)")
      ->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
