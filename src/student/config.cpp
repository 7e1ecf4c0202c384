#include "student/config.h"

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace b2b {

EmbeddingMode parse_embedding_mode(const std::string& name) {
  if (name == "rand") return EmbeddingMode::kRand;
  if (name == "static") return EmbeddingMode::kStatic;
  if (name == "non-static") return EmbeddingMode::kNonStatic;
  if (name == "multichannel") return EmbeddingMode::kMultichannel;
  throw Error("--embedding-mode: expected rand, static, non-static or multichannel, got '" + name +
              "'");
}

std::string embedding_mode_name(EmbeddingMode mode) {
  switch (mode) {
    case EmbeddingMode::kRand:
      return "rand";
    case EmbeddingMode::kStatic:
      return "static";
    case EmbeddingMode::kNonStatic:
      return "non-static";
    case EmbeddingMode::kMultichannel:
      return "multichannel";
  }
  return "rand";
}

void apply_task_defaults(StudentConfig& config) {
  const bool large = config.task.is_pair();
  config.hidden_size = large ? 300 : 150;
  config.fc_size = large ? 400 : 200;
}

nlohmann::json student_config_to_json(const StudentConfig& c) {
  return {{"model_type", "bert2bilstm-student"},
          {"format_version", 1},
          {"task", task_to_json(c.task)},
          {"embedding_mode", embedding_mode_name(c.embedding_mode)},
          {"vocab_size", c.vocab_size},
          {"embedding_dim", c.embedding_dim},
          {"hidden_size", c.hidden_size},
          {"fc_size", c.fc_size},
          {"dropout", c.dropout},
          {"lower_case", c.lower_case},
          {"num_labels", c.num_labels()}};
}

StudentConfig student_config_from_json(const nlohmann::json& json, const std::string& path) {
  try {
    if (json.value("model_type", "") != "bert2bilstm-student") {
      fail_file(path, "not a bert2bilstm student config (model_type is not bert2bilstm-student)");
    }
    StudentConfig c;
    c.task = task_from_json(json.at("task"));
    const std::string mode = json.at("embedding_mode").get<std::string>();
    try {
      c.embedding_mode = parse_embedding_mode(mode);
    } catch (const Error&) {
      fail_file(path,
                "embedding_mode '" + mode + "' is not rand, static, non-static or multichannel");
    }
    c.vocab_size = json.at("vocab_size").get<int64_t>();
    c.embedding_dim = json.at("embedding_dim").get<int64_t>();
    c.hidden_size = json.at("hidden_size").get<int64_t>();
    c.fc_size = json.at("fc_size").get<int64_t>();
    c.dropout = json.at("dropout").get<double>();
    c.lower_case = json.at("lower_case").get<bool>();
    if (c.vocab_size < 3 || c.embedding_dim <= 0 || c.hidden_size <= 0 || c.fc_size <= 0 ||
        c.num_labels() < 2) {
      fail_file(path, "sizes out of range");
    }
    if (!(c.dropout >= 0 && c.dropout < 1)) fail_file(path, "dropout is not in [0, 1)");
    if (json.contains("num_labels") && json.at("num_labels").get<int>() != c.num_labels()) {
      fail_file(path, "num_labels " + std::to_string(json.at("num_labels").get<int>()) +
                          " disagrees with the task's " + std::to_string(c.num_labels()) +
                          " labels");
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    fail_file(path, std::string("bad student config: ") + e.what());
  }
}

}  // namespace b2b
