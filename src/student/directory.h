#pragma once
// Reading a student directory without libtorch: config.json, vocab.txt and the weights file,
// each checked against the others. The libtorch model (student/checkpoint.h) and the runtime
// (runtime/student_runtime.h) both load through it.
#include <memory>
#include <string>

#include "io/safetensors_bytes.h"
#include "student/config.h"
#include "text/vocabulary.h"

namespace b2b {

struct StudentDirectory {
  std::string path;
  StudentConfig config;
  Vocabulary vocab;
  std::shared_ptr<const SafetensorsReader> weights;  // model.safetensors
};

// Throws Error naming the file for a missing or bad config, vocabulary or weights file (the
// tensors' names and shapes are checked by whoever reads them). Without `weights`, the weights
// file is not opened (a tokenizer needs config.json and vocab.txt alone).
StudentDirectory read_student_directory(const std::string& dir, bool weights = true);

}  // namespace b2b
