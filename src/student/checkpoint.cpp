#include "student/checkpoint.h"

#include <filesystem>

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

bool is_student_directory(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/config.json", ec)) return false;
  const auto json = nlohmann::json::parse(read_file(dir + "/config.json"), nullptr, false);
  return !json.is_discarded() && json.is_object() &&
         json.value("model_type", "") == "bert2bilstm-student";
}

Student load_student(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail_file(dir, "no such model directory");
  const std::string config_path = dir + "/config.json";
  const auto json = nlohmann::json::parse(read_file(config_path), nullptr, false);
  if (json.is_discarded() || !json.is_object()) fail_file(config_path, "not valid JSON");
  Student student;
  student.config = student_config_from_json(json, config_path);
  student.vocab = Vocabulary::load(dir + "/vocab.txt");
  if (static_cast<int64_t>(student.vocab.size()) != student.config.vocab_size) {
    fail_file(dir + "/vocab.txt", "has " + std::to_string(student.vocab.size()) +
                                      " words but config.json says vocab_size " +
                                      std::to_string(student.config.vocab_size));
  }
  student.model = StudentModel(student.config);
  SafetensorsFile weights(dir + "/model.safetensors");
  torch::NoGradGuard no_grad;
  for (auto& item : student.model->named_parameters()) {
    item.value().copy_(weights.get_float(item.key(), item.value().sizes().vec()));
  }
  student.model->eval();
  return student;
}

}  // namespace b2b
