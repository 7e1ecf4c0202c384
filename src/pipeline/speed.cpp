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
// Both models are timed by the same rule. First one untimed pass over the first batch: first
// calls allocate (BLAS's buffers, libtorch's pools, the threads' scratch space). Then whole
// passes over every sentence until at least kMinSeconds have passed, and the mean pass is
// reported: a student's pass over SST-2 dev takes about 30 ms, too short to time once (single
// passes read 23,000-27,000 sentences/s on this machine, their mean over 30 passes 29,700).
// The teacher's pass over the same sentences takes seconds: one pass.
constexpr double kMinSeconds = 1.0;

template <class Pass>
void time_passes(const Pass& pass, ModelSpeed& speed) {
  const auto start = Clock::now();
  do {
    pass();
    ++speed.passes;
  } while (seconds_since(start) < kMinSeconds);
  speed.seconds = seconds_since(start) / static_cast<double>(speed.passes);
}

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
  teacher_logits(teacher, examples, 0, std::min(examples.size(), run.batch), pair, run, nullptr);
  torch::Tensor logits;
  time_passes(
      [&] {
        logits = teacher_logits(teacher, examples, 0, examples.size(), pair, run, nullptr);
        logits = logits.contiguous();
      },
      speed);
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
                                     examples.begin() + std::min(examples.size(), batch));
    std::vector<float> untimed(first.size() * student.num_labels());
    student.logits(student.encode(first), untimed.data());
  }
  std::vector<float> logits(examples.size() * student.num_labels());
  time_passes([&] { student.logits(student.encode(examples), logits.data()); }, speed);
  speed.sentences = examples.size();
  speed.predicted = argmax_rows(logits.data(), examples.size(), student.num_labels());
  return speed;
}

}  // namespace b2b
