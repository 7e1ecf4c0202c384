#pragma once
// The student directory: config.json, vocab.txt, model.safetensors.
#include <nlohmann/json.hpp>
#include <string>

#include "student/directory.h"
#include "student/model.h"
#include "text/vocabulary.h"

namespace b2b {

struct Student {
  StudentConfig config;
  Vocabulary vocab;
  StudentModel model{nullptr};
};

// Writes the directory atomically (a killed run leaves the previous one intact).
// `training` is stored under "training" in config.json (what produced the model).
void save_student(const std::string& dir, const StudentConfig& config, const Vocabulary& vocab,
                  StudentModel& model, const nlohmann::json& training = nlohmann::json::object());

// Throws Error naming the file for a missing or bad config, vocabulary or weights.
Student load_student(const std::string& dir);

}  // namespace b2b
