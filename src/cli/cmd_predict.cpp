#include <cstdio>
#include <iostream>

#include "api/prediction_json.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "teacher/bert_config.h"
#include "teacher/teacher_classifier.h"
#include "text/basic_tokenizer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b::cli {

namespace {

struct Flags {
  std::string model, device = "cpu", precision;
  bool json = false;
  int threads = 0;
  size_t max_words = ClassifierOptions{}.max_words;
  size_t chunk = 512;
};

void print_row(const Classifier& model, const float* row, bool json) {
  if (json) {
    std::cout << prediction_json(model, row).dump() << "\n";
    return;
  }
  const Prediction p = model.prediction(row);
  const auto& labels = model.labels();
  char number[32];
  std::cout << labels[p.label];
  for (float probability : p.probabilities) {
    std::snprintf(number, sizeof number, "\t%.6f", probability);
    std::cout << number;
  }
  for (float logit : p.logits) {
    std::snprintf(number, sizeof number, "\t%.9g", logit);
    std::cout << number;
  }
  std::cout << "\n";
}

// Lines read so far, singles and pairs apart (a model computes one kind per call), with the
// order to print them back in.
struct Chunk {
  std::vector<std::string> singles;
  std::vector<TextPair> pairs;
  std::vector<bool> is_pair;
  size_t size() const { return is_pair.size(); }
};

void flush(const Classifier& model, Chunk& chunk, bool json) {
  if (chunk.size() == 0) return;
  const size_t k = static_cast<size_t>(model.num_labels());
  const std::vector<float> singles =
      chunk.singles.empty() ? std::vector<float>{} : model.logits(chunk.singles);
  const std::vector<float> pairs =
      chunk.pairs.empty() ? std::vector<float>{} : model.logits(chunk.pairs);
  size_t next[2] = {0, 0};
  for (bool pair : chunk.is_pair)
    print_row(model, (pair ? pairs : singles).data() + k * next[pair]++, json);
  chunk = Chunk{};
}

bool has_words(const std::string& text) {
  static const BasicTokenizer tokenizer;
  return !tokenizer.tokenize(text).empty();
}

void run(const Flags& f) {
  const int threads = set_threads(f.threads);
  // A BERT directory has no task: a line with a TAB is a sentence pair, as BERT takes either.
  const bool bert = is_bert_directory(f.model);
  ClassifierOptions student;
  student.threads = threads;
  student.max_words = f.max_words;
  TeacherClassifierOptions teacher;
  teacher.device = f.device;
  if (!f.precision.empty()) teacher.precision = f.precision;
  if (!bert && !f.precision.empty())
    throw Error("--precision " + f.precision + ": " + f.model +
                " is a student directory; the flag sets a BERT teacher's arithmetic");
  const auto model = load_any_classifier(f.model, student, teacher);
  const bool pairs_required = model->is_pair();
  if (!f.json) {
    std::cout << "label";
    for (const auto& l : model->labels()) std::cout << "\tprob_" << l;
    for (int c = 0; c < model->num_labels(); ++c) std::cout << "\tlogit_" << c;
    std::cout << "\n";
  }
  Chunk chunk;
  std::string line;
  size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_number == 1) strip_byte_order_mark(line);
    if (!is_valid_utf8(line)) fail_line("<stdin>", line_number, "invalid UTF-8");
    size_t tab = bert || pairs_required ? line.find('\t') : std::string::npos;
    // Said, not refused, as a blank line is: one bad line of a batch job must not lose the
    // lines before it (they are printed in chunks) nor stop the rest. Its row stays in place.
    const bool no_tab = pairs_required && tab == std::string::npos;
    if (no_tab) {
      warn("<stdin>:" + std::to_string(line_number) +
           ": a pair model needs text_a<TAB>text_b; no TAB here, so text_b is empty");
      tab = line.size();
      line += '\t';
    }
    // Said, not refused: a blank line in a batch job should not stop it.
    if (!no_tab && (!has_words(tab == std::string::npos ? line : line.substr(0, tab)) ||
                    (tab != std::string::npos && !has_words(line.substr(tab + 1))))) {
      warn("<stdin>:" + std::to_string(line_number) +
           ": no words in the text (a student reads it as one unknown word)");
    }
    chunk.is_pair.push_back(tab != std::string::npos);
    if (tab == std::string::npos) {
      chunk.singles.push_back(line);
    } else {
      chunk.pairs.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    }
    if (chunk.size() >= f.chunk) flush(*model, chunk, f.json);
  }
  flush(*model, chunk, f.json);
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
  add_precision_flag(cmd, flags->precision);
  cmd->add_option("--max-words", flags->max_words,
                  "words read per text by a student, the first ones (0: no limit)")
      ->capture_default_str();
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
