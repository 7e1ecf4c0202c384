#pragma once
// The distillation report: teacher, distilled and undistilled student on dev; parameters;
// inference speed on this machine; teacher-student agreement; each student's accuracy on the
// rows the teacher gets right and on those it gets wrong; training curves; commands.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/task.h"

namespace b2b {

struct ReportInputs {
  TaskSpec task;
  std::string teacher_dir, student_dir, baseline_dir, dev_path, out_dir, command;
  size_t transfer_rows = 0;
  // What each model saw (distill's record: gold, augmented and unlabeled rows, the teacher, the
  // undistilled student's budget); null for none.
  nlohmann::json data;
  // Further dev sets every model is scored on too (MNLI: dev_mismatched.tsv beside matched).
  std::vector<std::string> more_dev_paths;
};

// Writes out_dir/report.json, report.md and (when gnuplot is installed) curves.png.
nlohmann::json write_report(const ReportInputs& inputs);

// The report's note when the teacher scores below a student (percent; "" otherwise): below the
// one trained on gold labels alone (`gold_only`), distillation cannot be expected to help; below
// the distilled one, with no gold-only student to compare, the report cannot say what it added.
std::string teacher_student_note(double teacher, double student, bool gold_only);

// One markdown table over several finished distill runs (say, random and pretrained student
// embeddings): each run's teacher, distilled and undistilled dev accuracy, what distillation
// adds, and the command behind it; runs that differ only by seeds, mean and spread; runs that
// differ only by --gold-size, the learning curve (and, given `png` and gnuplot, its plot there).
// Fails naming the file when a run has no usable report.json.
std::string compare_reports(const std::vector<std::string>& run_dirs, const std::string& png = "");

}  // namespace b2b
