#pragma once
// A Hugging Face BERT classifier directory behind the public Classifier interface, so that
// eval and predict take a teacher or a student alike. Labels are config.json's id2label (or
// "0".."k-1"); BERT reads single sentences and pairs both.
#include <memory>
#include <string>

#include "bert2bilstm/classifier.h"

namespace b2b {

struct TeacherClassifierOptions {
  std::string device = "cpu";      // cpu or cuda
  std::string precision = "fp32";  // fp32, bf16 or int8 (teacher/cpu/precision.h)
  size_t batch = 64;
  bool show_progress = false;  // a progress line per call on a terminal
};

std::unique_ptr<Classifier> load_teacher_classifier(const std::string& dir,
                                                    const TeacherClassifierOptions& options);

// A student directory (the BLAS runtime) or a BERT directory (libtorch).
std::unique_ptr<Classifier> load_any_classifier(const std::string& dir,
                                                const ClassifierOptions& student_options,
                                                const TeacherClassifierOptions& teacher_options);

}  // namespace b2b
