#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "student/checkpoint.h"
#include "student/inference.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b::cli {

namespace {

struct Flags {
  std::string model;
  bool json = false;
  int threads = 0;
  size_t chunk = 512;
};

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
  Student student = load_student(f.model);
  const TaskSpec& task = student.config.task;
  const BasicTokenizer tokenizer;
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
    const auto examples = encode_examples(chunk, tokenizer, student.vocab, task.is_pair());
    print_rows(predict_logits(student.model, examples, f.chunk), task, f.json);
    chunk.examples.clear();
  };
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!is_valid_utf8(line)) fail_line("<stdin>", line_number, "invalid UTF-8");
    Example example;
    const size_t tab = line.find('\t');
    if (task.is_pair()) {
      if (tab == std::string::npos)
        fail_line("<stdin>", line_number, "a pair model needs text_a<TAB>text_b");
      example.text_a = line.substr(0, tab);
      example.text_b = line.substr(tab + 1);
    } else {
      example.text_a = line;
    }
    chunk.examples.push_back(std::move(example));
    if (chunk.examples.size() >= f.chunk) flush();
  }
  flush();
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("predict",
                                 "Classify lines from stdin (text, or text_a<TAB>text_b for pair "
                                 "models): label, probabilities, logits");
  cmd->add_option("--model", flags->model, "student directory")->required();
  cmd->add_flag("--json", flags->json, "one JSON object per line");
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
