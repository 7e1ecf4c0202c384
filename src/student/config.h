#pragma once
// The student's architecture, saved as the student directory's config.json.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "data/task.h"

namespace b2b {

enum class EmbeddingMode { kRand, kStatic, kNonStatic, kMultichannel };

EmbeddingMode parse_embedding_mode(const std::string& name);  // rand|static|non-static|multichannel
std::string embedding_mode_name(EmbeddingMode mode);

struct StudentConfig {
  TaskSpec task;
  EmbeddingMode embedding_mode = EmbeddingMode::kRand;
  int64_t vocab_size = 0;
  int64_t embedding_dim = 300;
  int64_t hidden_size = 150;  // per LSTM direction
  int64_t fc_size = 200;      // the ReLU layer
  double dropout = 0.1;
  bool lower_case = true;  // the word tokenizer's

  int64_t num_labels() const { return task.num_labels(); }
  int64_t lstm_input_size() const {
    return embedding_mode == EmbeddingMode::kMultichannel ? 2 * embedding_dim : embedding_dim;
  }
};

// The paper's sizes: SST-2 H 150, F 200; MNLI/QQP (and any pair task) H 300, F 400.
void apply_task_defaults(StudentConfig& config);

nlohmann::json student_config_to_json(const StudentConfig& config);
// Throws Error naming `path` for missing or bad fields.
StudentConfig student_config_from_json(const nlohmann::json& json, const std::string& path);

}  // namespace b2b
