#include "student/directory.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

StudentDirectory read_student_directory(const std::string& dir, bool weights) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail_file(dir, "no such model directory");
  const std::string config_path = dir + "/config.json";
  const auto json = nlohmann::json::parse(read_file(config_path), nullptr, false);
  if (json.is_discarded() || !json.is_object()) fail_file(config_path, "not valid JSON");
  StudentDirectory student;
  student.path = dir;
  student.config = student_config_from_json(json, config_path);
  student.vocab = Vocabulary::load(dir + "/vocab.txt");
  if (static_cast<int64_t>(student.vocab.size()) != student.config.vocab_size) {
    fail_file(dir + "/vocab.txt", "has " + std::to_string(student.vocab.size()) +
                                      " words but config.json says vocab_size " +
                                      std::to_string(student.config.vocab_size));
  }
  if (weights) student.weights = std::make_shared<SafetensorsReader>(dir + "/model.safetensors");
  return student;
}

}  // namespace b2b
