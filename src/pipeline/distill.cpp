#include "pipeline/distill.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "augment/transfer_set.h"
#include "data/transfer_set.h"
#include "io/delimited.h"
#include "pipeline/manifest.h"
#include "pipeline/report.h"
#include "pos/tagger.h"
#include "teacher/inference.h"
#include "teacher/labeler.h"
#include "util/atomic_file.h"
#include "util/directory_lock.h"
#include "util/error.h"
#include "util/shuffle.h"

namespace b2b {

namespace fs = std::filesystem;

const std::vector<std::string>& distill_stages() {
  static const std::vector<std::string> stages = {"pos",     "augment",  "label",
                                                  "student", "baseline", "report"};
  return stages;
}

StudentRunSpec distilled_student_defaults() {
  StudentRunSpec spec;
  spec.options.alpha = kDistillAlpha;
  spec.options.kl_temperature = kDistillKlTemperature;
  return spec;
}

namespace {

size_t count_rows(const std::string& path) {
  std::ifstream in(path);
  return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>(), '\n')) -
         1;
}

nlohmann::json student_settings(const StudentRunSpec& s) {
  const auto& o = s.options;
  nlohmann::json settings = {{"vectors", s.vectors},
                             {"embedding_mode", s.embedding_mode},
                             {"min_count", s.min_count},
                             {"embedding_dim", s.embedding_dim},
                             {"hidden", s.hidden},
                             {"fc", s.fc},
                             {"dropout", s.dropout},
                             {"epochs", o.epochs},
                             {"batch", o.batch_size},
                             {"optimizer", o.optimizer},
                             {"lr", o.lr},
                             {"rho", o.rho},
                             {"alpha", o.alpha},
                             {"word_dropout", o.word_dropout},
                             {"patience", o.patience},
                             {"seed", o.seed}};
  // Written only when not the values every run had before the flag existed ("all", 0: MSE),
  // so those runs stay up to date (kl_temperature 0 is no longer the default, but is still
  // what an old run's identity holds).
  if (o.alpha_rows != "all") settings["alpha_rows"] = o.alpha_rows;
  if (o.kl_temperature > 0) settings["kl_temperature"] = o.kl_temperature;
  return settings;
}

// The undistilled baseline gets as many optimizer steps as the distilled student. Its gold set
// is about n_iter times smaller than the transfer set, so with the same epochs it stopped after
// a fraction of the student's updates: on a clean clone the demo's baseline stayed at the
// majority class (loss flat at 0.69) and the report headlined "+42.40 points". Epochs and
// patience scale by the ratio of batches per epoch.
void match_student_steps(StudentRunSpec& baseline, size_t transfer_rows, size_t gold_rows,
                         bool pair) {
  const size_t batch =
      baseline.options.batch_size > 0 ? baseline.options.batch_size : (pair ? 256 : 50);
  const size_t student_batches = (transfer_rows + batch - 1) / batch;
  const size_t gold_batches = std::max<size_t>(1, (gold_rows + batch - 1) / batch);
  const double ratio = std::max(1.0, static_cast<double>(student_batches) / gold_batches);
  auto scaled = [ratio](int value) { return static_cast<int>(std::ceil(value * ratio)); };
  baseline.options.epochs = scaled(baseline.options.epochs);
  baseline.options.patience = scaled(baseline.options.patience);
}

}  // namespace

bool run_distill(DistillSpec spec) {
  const auto& stages = distill_stages();
  for (const auto& [flag, stage] :
       {std::pair{"--from", spec.from}, {"--stop-after", spec.stop_after}}) {
    if (!stage.empty() && std::find(stages.begin(), stages.end(), stage) == stages.end()) {
      throw Error(std::string(flag) + ": unknown stage '" + stage +
                  "' (pos, augment, label, student, baseline, report)");
    }
  }
  if (spec.pos_model.empty() && spec.conllu.empty())
    throw Error("distill: give --pos-model or --conllu");
  // GLUE's layouts: MNLI has two dev sets (matched genres first: the one training watches),
  // every other task one dev.tsv. The report scores every model on each.
  const bool mnli = spec.task.name == "mnli";
  const std::string train = spec.data_dir + "/train.tsv";
  const std::vector<std::string> dev_sets =
      mnli ? std::vector<std::string>{spec.data_dir + "/dev_matched.tsv",
                                      spec.data_dir + "/dev_mismatched.tsv"}
           : std::vector<std::string>{spec.data_dir + "/dev.tsv"};
  const std::string& dev = dev_sets.front();
  for (const auto& f : {train, dev_sets.front(), dev_sets.back()}) {
    if (!fs::exists(f)) {
      fail_file(f, mnli ? "no such file (--data must hold MNLI's train.tsv, dev_matched.tsv and "
                          "dev_mismatched.tsv)"
                        : "no such file (--data must hold train.tsv and dev.tsv)");
    }
  }
  // The task's label names, resolved once from the training file (a generic task without
  // labels= takes the sorted names it finds there) and handed unchanged to every stage. Each
  // stage used to find them again on its own data: the report stage, reading dev alone with a
  // task of no labels, stopped with "unknown label '1' (expected one of: )".
  if (spec.task.labels.empty()) {
    ReadOptions options;
    options.discover_labels = true;
    read_dataset(train, spec.task, options);
  }
  // The teacher, the students and their settings are checked now, not after the augmentation.
  validate_student_spec(spec.student);
  if (spec.label.batch == 0) throw Error("--label-batch must be positive");
  usable_max_length(spec.label.max_length, read_bert_config(spec.teacher_dir));
  if (spec.augment.n_iter < 0) spec.augment.n_iter = default_n_iter(spec.task);
  fs::create_directories(spec.out_dir);
  const DirectoryLock lock(spec.out_dir);  // a second distill on this directory stops here
  remove_stale_temporaries(spec.out_dir);
  const std::string dir = spec.out_dir;
  Manifest manifest(dir + "/manifest.json");
  if (!spec.transfer_from.empty()) {
    std::error_code ec;
    if (fs::weakly_canonical(spec.transfer_from, ec) == fs::weakly_canonical(dir, ec))
      throw Error("the transfer set's directory " + spec.transfer_from +
                  " is the output directory itself");
    const std::string source = spec.transfer_from + "/manifest.json";
    if (!manifest.has("label") && !Manifest(source).has("label"))
      fail_file(source,
                "no finished label stage to take the transfer set from (run distill there, "
                "e.g. with --stop-after label, first)");
    // Stages this directory has finished already are kept. Each is then checked as usual:
    // other augmentation settings here redo augment and what follows.
    for (const auto& stage : manifest.adopt(spec.transfer_from, dir, {"pos", "augment", "label"}))
      std::fprintf(stderr, "stage %s: taken from %s\n", stage.c_str(), spec.transfer_from.c_str());
  }
  bool forcing = false;
  auto force = [&](const std::string& stage) { return forcing = forcing || stage == spec.from; };
  auto stop = [&](const std::string& stage) {
    if (stage != spec.stop_after) return false;
    std::fprintf(stderr, "stopped after stage %s (--stop-after)\n", stage.c_str());
    return true;
  };

  const std::string pos_model = spec.conllu.empty() ? spec.pos_model : dir + "/pos.model";
  if (!spec.conllu.empty()) {
    manifest.run(
        {"pos",
         {{"iterations", 12}},
         {spec.conllu},
         {pos_model},
         [&] {
           PosTagger::train(read_conllu(spec.conllu), TaggerTrainOptions{12}).save(pos_model);
         }},
        force("pos"));
  } else {
    force("pos");
  }
  if (stop("pos")) return false;

  const std::string transfer = dir + "/transfer.tsv";
  const auto& a = spec.augment;
  manifest.run(
      {"augment",
       {{"p_mask", a.p_mask},
        {"p_pos", a.p_pos},
        {"p_ng", a.p_ng},
        {"n_iter", a.n_iter},
        {"seed", a.seed},
        {"transfer_size", spec.transfer_size}},
       {train, pos_model},
       {transfer},
       [&] {
         const PosTagger tagger = PosTagger::load(pos_model);
         const auto summary = augment_file(tagger, spec.task, train, transfer, {a, spec.threads});
         if (spec.transfer_size > 0)
           subsample_transfer_set(transfer, summary.originals, spec.transfer_size, a.seed);
       }},
      force("augment"));
  if (stop("augment")) return false;

  const std::string labeled = dir + "/transfer.labeled.tsv";
  manifest.run({"label",
                {{"batch", spec.label.batch}, {"max_length", spec.label.max_length}},
                {transfer, spec.teacher_dir},
                {labeled},
                [&] {
                  Teacher teacher = load_teacher(spec.teacher_dir);
                  prepare_teacher(teacher, spec.label);
                  LabelOptions options;
                  options.run = spec.label;
                  options.model_dir = spec.teacher_dir;
                  options.chunk_rows = spec.label_chunk_rows;
                  label_file(teacher, spec.task, transfer, labeled, options);
                }},
               force("label"));
  if (stop("label")) return false;

  StudentRunSpec student = spec.student;
  student.task = spec.task;
  student.train = labeled;
  student.dev = dev;
  student.out = dir + "/student";
  manifest.run({"student",
                student_settings(student),
                {labeled, dev},
                {student.out},
                [&] { run_student_training(student); }},
               force("student"));
  if (stop("student")) return false;

  StudentRunSpec baseline = spec.student;
  baseline.task = spec.task;
  baseline.train = train;
  baseline.dev = dev;
  baseline.out = dir + "/baseline";
  baseline.options.alpha = 1;
  baseline.options.alpha_rows = "all";  // its gold set has no logits
  baseline.options.kl_temperature = 0;
  if (spec.baseline) {
    match_student_steps(baseline, count_rows(labeled), count_rows(train), spec.task.is_pair());
    manifest.run({"baseline",
                  student_settings(baseline),
                  {train, dev},
                  {baseline.out},
                  [&] { run_student_training(baseline); }},
                 force("baseline"));
  } else {
    force("baseline");
  }
  if (stop("baseline")) return false;

  ReportInputs report;
  report.task = spec.task;
  report.teacher_dir = spec.teacher_dir;
  report.student_dir = student.out;
  report.baseline_dir = spec.baseline ? baseline.out : "";
  report.dev_path = dev;
  report.more_dev_paths.assign(dev_sets.begin() + 1, dev_sets.end());
  report.out_dir = dir;
  report.command = spec.command;
  report.transfer_rows = count_rows(labeled);
  std::vector<std::string> report_inputs = {spec.teacher_dir, student.out};
  report_inputs.insert(report_inputs.end(), dev_sets.begin(), dev_sets.end());
  if (spec.baseline) report_inputs.push_back(baseline.out);
  manifest.run({"report",
                {{"command", spec.command}},
                report_inputs,
                {dir + "/report.md", dir + "/report.json"},
                [&] { write_report(report); }},
               force("report"));
  return true;
}

}  // namespace b2b
