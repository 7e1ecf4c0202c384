#pragma once
// `student train` as a library call, shared by the CLI and `distill`: read the data, build
// the vocabulary and embeddings, train with dev selection, write the student directory.
#include <string>

#include "data/dataset.h"
#include "data/task.h"
#include "student/trainer.h"
#include "text/basic_tokenizer.h"
#include "text/vocabulary.h"

namespace b2b {

struct StudentRunSpec {
  TaskSpec task;
  FileFormat format = FileFormat::kTsv;  // of train and dev (a transfer set is always TSV)
  std::string train, dev, out, vectors, vectors_format = "auto",
                                        embedding_mode;            // mode "" = by vectors
  int64_t min_count = 1, embedding_dim = 300, hidden = 0, fc = 0;  // 0 = the task's default
  double dropout = 0.1;
  TrainOptions options = unset_batch();  // batch 0 = the task's default

  static TrainOptions unset_batch() {
    TrainOptions o;
    o.batch_size = 0;
    return o;
  }
};

// Checks the sizes and training options before any work (distill calls it up front).
void validate_student_spec(const StudentRunSpec& spec);

TrainResult run_student_training(StudentRunSpec spec);

// The words of both text columns, kept when seen min_count times.
Vocabulary build_vocabulary(const Dataset& data, const BasicTokenizer& tokenizer,
                            int64_t min_count = 1);

}  // namespace b2b
