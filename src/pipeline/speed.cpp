#include "pipeline/speed.h"

#include <chrono>

#include "student/checkpoint.h"
#include "student/inference.h"
#include "teacher/teacher.h"

namespace b2b {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
}  // namespace

ModelSpeed measure_teacher(const std::string& dir, const std::vector<Example>& examples, bool pair,
                           const TeacherRunOptions& run) {
  Teacher teacher = load_teacher(dir);
  prepare_teacher(teacher, run);
  ModelSpeed speed;
  for (const auto& item : teacher.model->named_parameters()) {
    speed.parameters += item.value().numel();
    if (item.key().find("embeddings.") == std::string::npos ||
        item.key().find("LayerNorm") != std::string::npos) {
      speed.parameters_without_embeddings += item.value().numel();
    }
  }
  const auto start = Clock::now();
  speed.logits = teacher_logits(teacher, examples, 0, examples.size(), pair, run, nullptr);
  speed.seconds = seconds_since(start);
  speed.sentences = examples.size();
  return speed;
}

ModelSpeed measure_student(const std::string& dir, const std::vector<Example>& examples,
                           size_t batch) {
  Student student = load_student(dir);
  ModelSpeed speed;
  speed.parameters = student.model->count_parameters(true);
  speed.parameters_without_embeddings = student.model->count_parameters(false);
  const BasicTokenizer tokenizer;
  Dataset data;
  data.examples = examples;
  const auto start = Clock::now();
  const auto encoded =
      encode_examples(data, tokenizer, student.vocab, student.config.task.is_pair());
  speed.logits = predict_logits(student.model, encoded, batch);
  speed.seconds = seconds_since(start);
  speed.sentences = examples.size();
  return speed;
}

}  // namespace b2b
