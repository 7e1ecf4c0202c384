#include "pipeline/distill.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "augment/transfer_set.h"
#include "data/split.h"
#include "data/transfer_set.h"
#include "data/unlabeled.h"
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
  static const std::vector<std::string> stages = {"data",     "pos",       "gold", "augment",
                                                  "label",    "unlabeled", "join", "student",
                                                  "baseline", "report"};
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

// What each model saw, for the report: the gold rows (all of train or a sample), the augmented
// rows, the unlabeled rows by source with what was dropped, the teacher as far as known, and
// the undistilled student's budget.
nlohmann::json training_data_record(const DistillSpec& spec, const std::string& train,
                                    const std::string& gold, const std::string& labeled,
                                    const std::string& unlabeled_record,
                                    const std::string& join_record, size_t transfer_rows,
                                    const StudentRunSpec* baseline) {
  nlohmann::json data = {{"train", train},
                         {"transfer_rows", transfer_rows},
                         {"teacher", spec.teacher_dir},
                         {"teacher_trained_on", spec.teacher_trained_on},
                         {"teacher_precision", precision_name(effective_precision(spec.label))},
                         {"setting", spec.setting},
                         {"epoch_chosen_on", "dev"}};
  if (spec.data_format != FileFormat::kTsv) {
    data["data_dir"] = spec.data_dir;
    data["data_format"] = file_format_name(spec.data_format);
  }
  const size_t gold_rows = gold.empty() ? 0 : count_rows(gold);
  data["gold_rows"] = gold_rows;
  data["gold_size"] = spec.gold_size;
  data["gold_seed"] = spec.augment.seed;
  const size_t labeled_rows = labeled.empty() ? 0 : count_rows(labeled);
  data["augmented_rows"] = labeled_rows > gold_rows ? labeled_rows - gold_rows : 0;
  if (!unlabeled_record.empty()) {
    data["unlabeled"] = nlohmann::json::parse(read_file(unlabeled_record));
    data["unlabeled"]["dropped_as_gold"] =
        nlohmann::json::parse(read_file(join_record)).value("dropped_as_gold", size_t{0});
    data["unlabeled"]["rest_of_train"] = spec.unlabeled_rest;
  }
  if (baseline) {
    data["baseline"] = {{"rows", gold_rows},
                        {"epochs", baseline->options.epochs},
                        {"patience", baseline->options.patience}};
  }
  return data;
}

}  // namespace

bool run_distill(DistillSpec spec) {
  const auto& stages = distill_stages();
  for (const auto& [flag, stage] :
       {std::pair{"--from", spec.from}, {"--stop-after", spec.stop_after}}) {
    if (!stage.empty() && std::find(stages.begin(), stages.end(), stage) == stages.end()) {
      std::string names;
      for (const auto& name : stages) names += (names.empty() ? "" : ", ") + name;
      throw Error(std::string(flag) + ": unknown stage '" + stage + "' (" + names + ")");
    }
  }
  // The POS tagger serves augmentation, which needs gold rows: --gold-size 0 needs neither.
  if (spec.pos_model.empty() && spec.conllu.empty() && spec.gold_size != 0)
    throw Error("distill: give --pos-model or --conllu");
  // GLUE's layouts: MNLI has two dev sets (matched genres first: the one training watches),
  // every other task one dev.tsv. The report scores every model on each.
  // The files' names end as --format says: train.csv, dev.csv with csv.
  const bool mnli = spec.task.name == "mnli";
  const std::string ext = std::string(".") + file_format_name(spec.data_format);
  std::string train = spec.data_dir + "/train" + ext;
  std::vector<std::string> dev_sets =
      mnli ? std::vector<std::string>{spec.data_dir + "/dev_matched" + ext,
                                      spec.data_dir + "/dev_mismatched" + ext}
           : std::vector<std::string>{spec.data_dir + "/dev" + ext};
  for (const auto& f : {train, dev_sets.front(), dev_sets.back()}) {
    if (!fs::exists(f)) {
      fail_file(f, mnli ? "no such file (--data must hold MNLI's train" + ext + ", dev_matched" +
                              ext + " and dev_mismatched" + ext + ")"
                        : "no such file (--data must hold train" + ext + " and dev" + ext + ")");
    }
  }
  ReadOptions data_options;  // the task's files as the user wrote them
  data_options.format = spec.data_format;
  // The task's label names, resolved once from the training file (a generic task without
  // labels= takes the sorted names it finds there) and handed unchanged to every stage. Each
  // stage used to find them again on its own data: the report stage, reading dev alone with a
  // task of no labels, stopped with "unknown label '1' (expected one of: )".
  if (spec.task.labels.empty()) {
    ReadOptions options = data_options;
    options.discover_labels = true;
    read_dataset(train, spec.task, options);
  }
  // Gold rows and unlabeled text, checked before any work.
  const bool has_unlabeled = !spec.unlabeled.empty() || spec.unlabeled_rest;
  const bool has_gold = spec.gold_size != 0, all_gold = spec.gold_size < 0;
  if (spec.gold_size < -1) throw Error("--gold-size must be at least 0");
  if (!has_gold && !has_unlabeled)
    throw Error(
        "--gold-size 0 leaves the students nothing to learn from: give --unlabeled FILE or "
        "--unlabeled-rest");
  if (spec.unlabeled_size > 0 && !has_unlabeled)
    throw Error("--unlabeled-size needs --unlabeled FILE or --unlabeled-rest");
  for (const auto& f : spec.unlabeled) {
    std::error_code ec;
    if (!fs::is_regular_file(f, ec)) fail_file(f, "no such file (--unlabeled)");
  }
  if (spec.gold_size > 0) {
    TaskSpec task = spec.task;
    const size_t labeled = read_dataset(train, task, data_options).examples.size();
    if (static_cast<size_t>(spec.gold_size) > labeled)
      fail_file(train, "--gold-size " + std::to_string(spec.gold_size) + " is more than its " +
                           std::to_string(labeled) + " labeled rows");
  }
  // What no unlabeled text may equal: every dev set, and test.tsv when the directory has one.
  std::vector<std::string> held_out = dev_sets;
  if (fs::exists(spec.data_dir + "/test" + ext)) held_out.push_back(spec.data_dir + "/test" + ext);
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
    const Manifest theirs(source);
    if (!manifest.has("label") && !theirs.has("label") && !manifest.has("unlabeled") &&
        !theirs.has("unlabeled"))
      fail_file(source,
                "no finished label stage to take the transfer set from (run distill there, "
                "e.g. with --stop-after label, first)");
    // Stages this directory has finished already are kept. Each is then checked as usual:
    // other augmentation settings here redo augment and what follows.
    // Only the stages this run has: a run without gold rows takes no augmented set.
    std::vector<std::string> wanted;
    if (spec.gold_size > 0) wanted.push_back("gold");
    if (has_gold) wanted.insert(wanted.end(), {"pos", "augment", "label"});
    if (has_unlabeled) wanted.push_back("unlabeled");
    for (const auto& stage : manifest.adopt(spec.transfer_from, dir, wanted))
      std::fprintf(stderr, "stage %s: taken from %s\n", stage.c_str(), spec.transfer_from.c_str());
  }
  bool forcing = false;
  auto force = [&](const std::string& stage) { return forcing = forcing || stage == spec.from; };
  // A stage this run has runs, or is found up to date; one it has not still counts for --from.
  auto run_stage = [&](bool wanted, const Stage& stage) {
    if (wanted)
      manifest.run(stage, force(stage.name));
    else
      force(stage.name);
  };
  auto stop = [&](const std::string& stage) {
    if (stage != spec.stop_after) return false;
    std::fprintf(stderr, "stopped after stage %s (--stop-after)\n", stage.c_str());
    return true;
  };

  // CSV or JSON Lines task files are rewritten once as TSV task files in dir/data, which every
  // later stage reads as it reads a TSV --data (the pipeline's own files are TSV).
  const bool rewrite = spec.data_format != FileFormat::kTsv;
  std::vector<std::string> task_files = {train}, rewritten;
  task_files.insert(task_files.end(), held_out.begin(), held_out.end());
  for (const auto& f : task_files)
    rewritten.push_back(dir + "/data/" + fs::path(f).stem().string() + ".tsv");
  run_stage(rewrite,
            {"data", {{"format", file_format_name(spec.data_format)}}, task_files, rewritten, [&] {
               fs::create_directories(dir + "/data");
               for (size_t i = 0; i < task_files.size(); ++i)
                 convert_task_file(task_files[i], spec.task, spec.data_format, rewritten[i]);
             }});
  if (rewrite) {
    train = rewritten[0];
    held_out.assign(rewritten.begin() + 1, rewritten.end());
    dev_sets.assign(held_out.begin(), held_out.begin() + static_cast<long>(dev_sets.size()));
  }
  if (stop("data")) return false;
  const std::string& dev = dev_sets.front();

  const std::string pos_model = spec.conllu.empty() ? spec.pos_model : dir + "/pos.model";
  run_stage(!spec.conllu.empty() && has_gold,
            {"pos", {{"iterations", 12}}, {spec.conllu}, {pos_model}, [&] {
               PosTagger::train(read_conllu(spec.conllu), TaggerTrainOptions{12}).save(pos_model);
             }});
  if (stop("pos")) return false;

  const auto& a = spec.augment;
  // The gold rows the students see: all of train.tsv, or a stratified sample of it.
  const std::string gold = all_gold ? train : dir + "/gold.tsv";
  run_stage(spec.gold_size > 0,
            {"gold", {{"gold_size", spec.gold_size}, {"seed", a.seed}}, {train}, {gold}, [&] {
               const GoldSample sample =
                   sample_gold_rows(train, spec.task, gold, spec.gold_size, a.seed);
               std::fprintf(stderr, "gold: %zu of %zu labeled rows (stratified, seed %llu)\n",
                            sample.rows, sample.labeled, static_cast<unsigned long long>(a.seed));
             }});
  if (stop("gold")) return false;

  const std::string transfer = dir + "/transfer.tsv";
  const std::string labeled = dir + "/transfer.labeled.tsv";
  run_stage(
      has_gold,
      {"augment",
       {{"p_mask", a.p_mask},
        {"p_pos", a.p_pos},
        {"p_ng", a.p_ng},
        {"n_iter", a.n_iter},
        {"seed", a.seed},
        {"transfer_size", spec.transfer_size}},
       {gold, pos_model},
       {transfer},
       [&] {
         const PosTagger tagger = PosTagger::load(pos_model);
         const auto summary = augment_file(tagger, spec.task, gold, transfer, {a, spec.threads});
         if (spec.transfer_size > 0)
           subsample_transfer_set(transfer, summary.originals, spec.transfer_size, a.seed);
       }});
  if (stop("augment")) return false;

  // The labels' settings: fp32 is left out, so runs labeled before --precision existed (in
  // libtorch's fp32, the same numbers) keep their stages. The precision is the one this CPU
  // runs, so labels computed in an fp32 fallback are not taken for int8 ones.
  nlohmann::json label_settings = {{"batch", spec.label.batch},
                                   {"max_length", spec.label.max_length}};
  const Precision label_precision = effective_precision(spec.label);
  if (label_precision != Precision::fp32)
    label_settings["precision"] = precision_name(label_precision);
  auto label_into = [&](const std::string& input, const std::string& output) {
    Teacher teacher = load_teacher(spec.teacher_dir);
    LabelOptions options;
    options.run = spec.label;
    options.run.precision = prepare_teacher(teacher, spec.label);
    options.model_dir = spec.teacher_dir;
    options.chunk_rows = spec.label_chunk_rows;
    label_file(teacher, spec.task, input, output, options);
  };
  run_stage(has_gold, {"label", label_settings, {transfer, spec.teacher_dir}, {labeled}, [&] {
                         label_into(transfer, labeled);
                       }});
  if (stop("label")) return false;

  // Unlabeled text: collected (held-out texts and repeats dropped, sampled) and labeled apart
  // from the gold rows, so that one labeling serves every gold size (--transfer-from); the
  // rows equal to a gold text in use are dropped when the two are joined.
  const std::string unlabeled = dir + "/unlabeled.tsv",
                    unlabeled_labeled = dir + "/unlabeled.labeled.tsv",
                    unlabeled_record = dir + "/unlabeled.json";
  std::vector<std::string> sources;
  if (spec.unlabeled_rest) sources.push_back(train);
  sources.insert(sources.end(), spec.unlabeled.begin(), spec.unlabeled.end());
  std::vector<std::string> unlabeled_inputs = sources;
  unlabeled_inputs.insert(unlabeled_inputs.end(), held_out.begin(), held_out.end());
  unlabeled_inputs.push_back(spec.teacher_dir);
  nlohmann::json unlabeled_settings = {
      {"sources", sources}, {"size", spec.unlabeled_size}, {"seed", a.seed}};
  unlabeled_settings.update(label_settings);
  run_stage(has_unlabeled,
            {"unlabeled",
             unlabeled_settings,
             unlabeled_inputs,
             {unlabeled, unlabeled_labeled, unlabeled_record},
             [&] {
               const UnlabeledCollector collector(spec.task, held_out);
               const UnlabeledSummary summary =
                   collector.write(sources, unlabeled,
                                   {spec.unlabeled_size, a.seed, spec.unlabeled_rest ? 1u : 0u});
               for (const auto& s : summary.sources)
                 std::fprintf(stderr,
                              "unlabeled: %s: %zu texts; dropped %zu equal to a dev or test "
                              "text, %zu repeats; skipped %zu blank; %zu kept\n",
                              s.path.c_str(), s.texts, s.held_out, s.duplicates, s.blank, s.kept);
               std::fprintf(stderr, "unlabeled: %zu rows to label\n", summary.written);
               label_into(unlabeled, unlabeled_labeled);
               write_file_atomic(unlabeled_record, summary.to_json().dump(2) + "\n");
             }});
  if (stop("unlabeled")) return false;

  // The student's training file: the labeled transfer set, or it and the unlabeled rows.
  // Without gold rows there is neither a gold file nor a labeled transfer set to join.
  const std::string gold_in_use = has_gold ? gold : "", labeled_in_use = has_gold ? labeled : "";
  const std::string student_train = has_unlabeled ? dir + "/train.labeled.tsv" : labeled;
  const std::string join_record = dir + "/join.json";
  std::vector<std::string> join_inputs = {unlabeled_labeled};
  if (has_gold) join_inputs.insert(join_inputs.end(), {gold, labeled});
  run_stage(
      has_unlabeled,
      {"join", {}, join_inputs, {student_train, join_record}, [&] {
         const size_t dropped = join_transfer_sets(spec.task, gold_in_use, labeled_in_use,
                                                   unlabeled_labeled, student_train);
         std::fprintf(stderr, "join: dropped %zu unlabeled rows equal to a gold row\n", dropped);
         write_file_atomic(join_record, nlohmann::json{{"dropped_as_gold", dropped}}.dump() + "\n");
       }});
  if (stop("join")) return false;

  StudentRunSpec student = spec.student;
  student.task = spec.task;
  student.train = student_train;
  student.dev = dev;
  student.out = dir + "/student";
  manifest.run({"student",
                student_settings(student),
                {student_train, dev},
                {student.out},
                [&] { run_student_training(student); }},
               force("student"));
  if (stop("student")) return false;

  StudentRunSpec baseline = spec.student;
  baseline.task = spec.task;
  baseline.train = gold;
  baseline.dev = dev;
  baseline.out = dir + "/baseline";
  baseline.options.alpha = 1;
  baseline.options.alpha_rows = "all";  // its gold set has no logits
  baseline.options.kl_temperature = 0;
  const bool with_baseline = spec.baseline && has_gold;
  if (with_baseline) {
    match_student_steps(baseline, count_rows(student_train), count_rows(gold), spec.task.is_pair());
    manifest.run({"baseline",
                  student_settings(baseline),
                  {gold, dev},
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
  report.baseline_dir = with_baseline ? baseline.out : "";
  report.dev_path = dev;
  report.more_dev_paths.assign(dev_sets.begin() + 1, dev_sets.end());
  report.out_dir = dir;
  report.command = spec.command;
  report.transfer_rows = count_rows(student_train);
  report.data = training_data_record(
      spec, train, gold_in_use, labeled_in_use, has_unlabeled ? unlabeled_record : "",
      has_unlabeled ? join_record : "", report.transfer_rows, with_baseline ? &baseline : nullptr);
  std::vector<std::string> report_inputs = {spec.teacher_dir, student.out};
  report_inputs.insert(report_inputs.end(), dev_sets.begin(), dev_sets.end());
  if (with_baseline) report_inputs.push_back(baseline.out);
  manifest.run({"report",
                {{"command", spec.command}},
                report_inputs,
                {dir + "/report.md", dir + "/report.json"},
                [&] { write_report(report); }},
               force("report"));
  return true;
}

}  // namespace b2b
