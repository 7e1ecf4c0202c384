#include "pipeline/speed.h"

#include <algorithm>
#include <chrono>

#include "api/student_classifier.h"
#include "teacher/teacher.h"

namespace b2b {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
// Both models classify this many sentences untimed first: first calls allocate (BLAS's
// buffers, libtorch's pools), which a timed pass of a few hundred sentences would show.
constexpr size_t kWarmUp = 64;

std::vector<int> argmax_rows(const float* logits, size_t n, size_t k) {
  std::vector<int> out(n);
  for (size_t i = 0; i < n; ++i) {
    const float* row = logits + i * k;
    out[i] = static_cast<int>(std::max_element(row, row + k) - row);
  }
  return out;
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
  teacher_logits(teacher, examples, 0, std::min(examples.size(), kWarmUp), pair, run, nullptr);
  const auto start = Clock::now();
  const torch::Tensor logits =
      teacher_logits(teacher, examples, 0, examples.size(), pair, run, nullptr).contiguous();
  speed.seconds = seconds_since(start);
  speed.predicted = argmax_rows(logits.data_ptr<float>(), examples.size(), logits.size(1));
  speed.sentences = examples.size();
  return speed;
}

ModelSpeed measure_student(const std::string& dir, const std::vector<Example>& examples,
                           size_t batch) {
  ClassifierOptions options;
  options.max_batch = batch;
  options.threads = at::get_num_threads();
  const StudentClassifier student(read_student_directory(dir), options);
  ModelSpeed speed;
  speed.parameters = student.runtime().parameters(true);
  speed.parameters_without_embeddings = student.runtime().parameters(false);
  {
    const std::vector<Example> first(examples.begin(),
                                     examples.begin() + std::min(examples.size(), kWarmUp));
    std::vector<float> untimed(first.size() * student.num_labels());
    student.logits(student.encode(first), untimed.data());
  }
  const auto start = Clock::now();
  const auto encoded = student.encode(examples);
  std::vector<float> logits(examples.size() * student.num_labels());
  student.logits(encoded, logits.data());
  speed.seconds = seconds_since(start);
  speed.sentences = examples.size();
  speed.predicted = argmax_rows(logits.data(), examples.size(), student.num_labels());
  return speed;
}

}  // namespace b2b
