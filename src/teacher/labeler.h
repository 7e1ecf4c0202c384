#pragma once
// `teacher label`: adds the teacher's logits to every row of a task file or transfer set.
// Works in chunks written to OUTPUT.partial with a OUTPUT.progress record, so a killed run
// resumes from the last finished chunk; --shard i/N labels one contiguous slice.
#include <string>

#include "data/task.h"
#include "teacher/inference.h"

namespace b2b {

struct Shard {
  size_t index = 0, count = 1;
};
Shard parse_shard(const std::string& text);  // "i/N"

struct LabelOptions {
  TeacherRunOptions run;
  Shard shard;
  size_t chunk_rows = 8192;  // rows per resumable chunk
  std::string model_dir;     // recorded in the progress file
};

struct LabelSummary {
  size_t rows = 0, resumed_from = 0;
  double seconds = 0;
};

LabelSummary label_file(Teacher& teacher, TaskSpec task, const std::string& input,
                        const std::string& output, const LabelOptions& options);

}  // namespace b2b
