#pragma once
// `teacher label`: adds the teacher's logits to every row of a task file or transfer set.
// Works in chunks written to OUTPUT.partial with a OUTPUT.progress record, so a killed run
// resumes from the last finished chunk; --shard i/N labels one contiguous slice.
#include <string>

#include "data/task.h"
#include "io/records.h"
#include "teacher/inference.h"

namespace b2b {

struct Shard {
  size_t index = 0, count = 1;
};
Shard parse_shard(const std::string& text);  // "i/N"

// The shard a cluster scheduler gives this process, when it gives one: Slurm job arrays
// (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT) or a Kubernetes
// Indexed Job (JOB_COMPLETION_INDEX of `indexed_job_count`, which Kubernetes does not export).
// `source` says which variables it came from. False when neither is set.
bool shard_from_scheduler(size_t indexed_job_count, Shard& shard, std::string& source);

struct LabelOptions {
  TeacherRunOptions run;
  Shard shard;
  size_t chunk_rows = 8192;                    // rows per resumable chunk
  std::string model_dir;                       // recorded in the progress file
  FileFormat input_format = FileFormat::kTsv;  // how the input is written (the output is TSV)
};

struct LabelSummary {
  size_t rows = 0, resumed_from = 0;
  double seconds = 0;
};

// A sharded run (count > 1) also writes OUTPUT.shard.json: the run's identity, the shard and
// its rows, for `teacher merge`.
LabelSummary label_file(Teacher& teacher, TaskSpec task, const std::string& input,
                        const std::string& output, const LabelOptions& options);

struct MergeSummary {
  size_t shards = 0, rows = 0;
};

// `teacher merge`: the slices of one sharded run (the files `pattern` matches, each with its
// .shard.json) checked to be complete, from the same run, neither overlapping nor missing,
// and concatenated into `output` atomically: byte for byte the unsharded output. Throws Error
// naming the missing, duplicated, unfinished or foreign slice; writes nothing then.
MergeSummary merge_shards(const std::string& pattern, const std::string& output);

}  // namespace b2b
