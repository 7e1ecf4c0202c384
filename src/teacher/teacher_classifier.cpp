#include "teacher/teacher_classifier.h"

#include <nlohmann/json.hpp>

#include "teacher/bert_config.h"
#include "teacher/inference.h"
#include "util/error.h"

namespace b2b {

namespace {

class TeacherClassifier : public Classifier {
 public:
  TeacherClassifier(Teacher teacher, const TeacherClassifierOptions& options)
      : Classifier(label_names(teacher.config), false, ""),
        teacher_(std::move(teacher)),
        show_progress_(options.show_progress) {
    run_.device = parse_device(options.device);
    run_.batch = options.batch;
    run_.precision = parse_precision(options.precision);
    run_.precision = prepare_teacher(teacher_, run_);
  }

  std::string info_json() const override {
    int64_t parameters = 0;
    for (const auto& p : teacher_.model->parameters()) parameters += p.numel();
    return nlohmann::json{{"model_type", "bert"},
                          {"labels", labels()},
                          {"layers", teacher_.config.num_hidden_layers},
                          {"hidden", teacher_.config.hidden_size},
                          {"parameters", parameters}}
        .dump();
  }

 protected:
  // teacher_logits encodes one kind per call: a pair with an empty second sentence is still
  // encoded as a pair, as transformers does.
  void compute_logits(const std::string* texts, const TextPair* pairs, size_t n,
                      float* out) const override {
    std::vector<Example> examples(n);
    for (size_t i = 0; i < n; ++i) {
      examples[i].text_a = texts ? texts[i] : pairs[i].first;
      if (pairs) examples[i].text_b = pairs[i].second;
    }
    Progress progress("predict", show_progress_ ? static_cast<int64_t>(n) : 0, "sentences");
    // The model is only read; the forward pass runs without autograd.
    const torch::Tensor logits =
        teacher_logits(const_cast<Teacher&>(teacher_), examples, 0, n, pairs != nullptr, run_,
                       show_progress_ ? &progress : nullptr)
            .contiguous();
    std::memcpy(out, logits.data_ptr<float>(), n * num_labels() * sizeof(float));
  }

 private:
  Teacher teacher_;
  TeacherRunOptions run_;
  bool show_progress_;
};

}  // namespace

std::unique_ptr<Classifier> load_teacher_classifier(const std::string& dir,
                                                    const TeacherClassifierOptions& options) {
  return std::make_unique<TeacherClassifier>(load_teacher(dir), options);
}

std::unique_ptr<Classifier> load_any_classifier(const std::string& dir,
                                                const ClassifierOptions& student_options,
                                                const TeacherClassifierOptions& teacher_options) {
  if (is_bert_directory(dir)) return load_teacher_classifier(dir, teacher_options);
  return Classifier::load(dir, student_options);
}

}  // namespace b2b
