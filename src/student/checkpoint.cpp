#include "student/checkpoint.h"

#include "io/safetensors.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

void save_student(const std::string& dir, const StudentConfig& config, const Vocabulary& vocab,
                  StudentModel& model, const nlohmann::json& training) {
  AtomicDirectory out(dir);
  nlohmann::json json = student_config_to_json(config);
  json["training"] = training;
  write_file_atomic(out.staged("config.json"), json.dump(2) + "\n");
  vocab.save(out.staged("vocab.txt"));
  NamedTensors tensors;
  for (const auto& item : model->named_parameters()) tensors.emplace_back(item.key(), item.value());
  save_safetensors(out.staged("model.safetensors"), tensors, {{"format", "pt"}});
  out.commit();
}

Student load_student(const std::string& dir) {
  StudentDirectory directory = read_student_directory(dir);
  Student student;
  student.config = directory.config;
  student.vocab = std::move(directory.vocab);
  student.model = StudentModel(student.config);
  const SafetensorsReader& weights = *directory.weights;
  torch::NoGradGuard no_grad;
  for (auto& item : student.model->named_parameters()) {
    const std::vector<float> values = weights.floats(item.key(), item.value().sizes().vec());
    item.value().copy_(torch::from_blob(const_cast<float*>(values.data()), item.value().sizes()));
  }
  student.model->eval();
  return student;
}

}  // namespace b2b
