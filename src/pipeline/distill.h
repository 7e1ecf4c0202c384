#pragma once
// `distill`: augment -> teacher label -> student train -> report, with the undistilled student
// (gold labels, same sizes) beside it. Every artifact lives in the output directory;
// manifest.json lets a rerun skip finished stages.
#include <string>
#include <vector>

#include "augment/augmenter.h"
#include "student/train_run.h"
#include "teacher/inference.h"

namespace b2b {

// The distilled student's loss unless told otherwise: the cross-entropy on the gold labels
// (the teacher's argmax where a row has none) at weight 0.5 beside the KL divergence of the
// probabilities at temperature 2 (times T^2). Why not the paper's BiLSTM_SOFT (alpha 0, logit
// MSE): on SST-2 over five student seeds each it scored 84.93 against 83.76 with random
// embeddings and 85.50 against 84.59 with in-domain vectors, higher in 10 of the 10 seed pairs
// (BENCHMARKS.md, issue 15). The paper's teacher leads its student by 8 points; a teacher
// 1-2 points ahead copies its mistakes into the MSE-only student. `--alpha 0
// --kl-temperature 0` is the paper's loss.
constexpr double kDistillAlpha = 0.5;
constexpr double kDistillKlTemperature = 2;
StudentRunSpec distilled_student_defaults();

struct DistillSpec {
  TaskSpec task;
  std::string data_dir, teacher_dir, out_dir, pos_model, conllu;
  // How data_dir's files are written, which also names them: train.tsv, dev.tsv (test.tsv)
  // with tsv; train.csv ... with csv; train.jsonl ... with jsonl.
  FileFormat data_format = FileFormat::kTsv;
  // Another distill directory whose POS model and transfer set (augmented and labeled) this
  // run takes over, so students of other seeds or settings share one labeled set.
  std::string transfer_from;
  // Texts without labels (data/unlabeled.h), labeled by the teacher and added to the transfer
  // set; `unlabeled_rest` adds the training rows not among the gold rows in use as such text.
  // A seeded sample of `unlabeled_size` texts of the files (0: all; the rest of train is kept
  // whole). Not augmented.
  std::vector<std::string> unlabeled;
  bool unlabeled_rest = false;
  size_t unlabeled_size = 0;
  // A label-stratified, seeded (augment.seed) sample of this many gold rows of train.tsv for
  // the students; -1: all of them; 0: none (the teacher's labels alone, no undistilled student).
  int64_t gold_size = -1;
  std::string teacher_trained_on;  // what the report says of the teacher's training, if given
  std::string setting;             // one sentence the report opens with, if given
  AugmentOptions augment;          // n_iter < 0: the task's default
  size_t transfer_size = 0;        // 0: the whole transfer set; else originals + a sample
  size_t label_chunk_rows = 8192;
  TeacherRunOptions label;
  StudentRunSpec student = distilled_student_defaults();
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
