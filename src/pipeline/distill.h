#pragma once
// `distill`: augment -> teacher label -> student train (alpha 0, BiLSTM_SOFT) -> report, with
// the undistilled student (gold labels, same sizes) beside it. Every artifact lives in the
// output directory; manifest.json lets a rerun skip finished stages.
#include <string>

#include "augment/augmenter.h"
#include "student/train_run.h"
#include "teacher/inference.h"

namespace b2b {

struct DistillSpec {
  TaskSpec task;
  std::string data_dir, teacher_dir, out_dir, pos_model, conllu;
  // Another distill directory whose POS model and transfer set (augmented and labeled) this
  // run takes over, so students of other seeds or settings share one labeled set.
  std::string transfer_from;
  AugmentOptions augment;    // n_iter < 0: the task's default
  size_t transfer_size = 0;  // 0: the whole transfer set; else originals + a sample
  size_t label_chunk_rows = 8192;
  TeacherRunOptions label;
  StudentRunSpec student;  // alpha 0 by default
  bool baseline = true;
  std::string from;        // redo from this stage on
  std::string stop_after;  // stop once this stage is done (label on a GPU host, train elsewhere)
  int threads = 1;
  std::string command;  // the command line, for the report
};

// The stages in order, for --from.
const std::vector<std::string>& distill_stages();

// Returns false when it stopped early (stop_after), true when the report was written.
bool run_distill(DistillSpec spec);

}  // namespace b2b
