#pragma once
// The distillation report: teacher, distilled and undistilled student on dev; parameters;
// inference speed on this machine; teacher-student agreement; training curves; commands.
#include <nlohmann/json.hpp>
#include <string>

#include "data/task.h"

namespace b2b {

struct ReportInputs {
  TaskSpec task;
  std::string teacher_dir, student_dir, baseline_dir, dev_path, out_dir, command;
  size_t transfer_rows = 0;
};

// Writes out_dir/report.json, report.md and (when gnuplot is installed) curves.png.
nlohmann::json write_report(const ReportInputs& inputs);

}  // namespace b2b
