#include "pipeline/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "data/dataset.h"
#include "data/metrics.h"
#include "pipeline/distill.h"
#include "pipeline/speed.h"
#include "student/checkpoint.h"
#include "teacher/inference.h"
#include "util/atomic_file.h"
#include "util/command_line.h"
#include "util/error.h"

namespace b2b {

namespace {

struct ModelRow {
  std::string name, role, embeddings;
  int64_t params = 0, params_without_embeddings = 0;
  Metrics metrics;
  double sentences_per_second = 0;
  std::vector<int> predicted;
  nlohmann::json history;
};

// The same batch for teacher and student, as the paper's speed comparison.
constexpr size_t kSpeedBatch = 512;

ModelRow teacher_row(const std::string& dir, TaskSpec task, const Dataset& dev,
                     const std::vector<int>& gold) {
  TeacherRunOptions run;
  run.batch = kSpeedBatch;
  const ModelSpeed speed = measure_teacher(dir, dev.examples, task.is_pair(), run);
  ModelRow row;
  row.name = "teacher (BERT)";
  row.role = "teacher";
  row.embeddings = "WordPiece (BERT)";
  row.params = speed.parameters;
  row.params_without_embeddings = speed.parameters_without_embeddings;
  row.sentences_per_second = speed.sentences_per_second();
  row.predicted = speed.predicted;
  row.metrics = compute_metrics(gold, row.predicted, task.labels);
  return row;
}

// "rand", or the mode and the vectors file, e.g. "multichannel, imdb-rt-skipgram-300d.bin".
std::string describe_embeddings(const nlohmann::json& config) {
  std::string text = config.value("embedding_mode", "rand");
  const std::string vectors = config["training"].value("vectors", "");
  if (!vectors.empty()) text += ", " + std::filesystem::path(vectors).filename().string();
  return text;
}

// The distilled student's name says its loss: the paper's BiLSTM_SOFT (alpha 0, logit MSE),
// else its alpha (and the rows its cross-entropy applied to) and its KL temperature.
std::string distilled_name(const nlohmann::json& training) {
  const double alpha = training.value("alpha", 0.0);
  const double temperature = training.value("kl_temperature", 0.0);
  if (alpha == 0 && temperature <= 0) return "BiLSTM distilled (BiLSTM_SOFT)";
  char loss[96] = "";
  if (alpha != 0)
    std::snprintf(loss, sizeof loss, "alpha %g%s", alpha,
                  training.value("alpha_rows", "all") == "originals" ? " on originals" : "");
  if (temperature > 0)
    std::snprintf(loss + std::strlen(loss), sizeof loss - std::strlen(loss), "%sKL at T %g",
                  alpha != 0 ? ", " : "", temperature);
  return std::string("BiLSTM distilled (") + loss + ")";
}

ModelRow student_row(const std::string& name, const std::string& role, const std::string& dir,
                     TaskSpec task, const Dataset& dev, const std::vector<int>& gold) {
  const ModelSpeed speed = measure_student(dir, dev.examples, kSpeedBatch);
  ModelRow row;
  row.name = name;
  row.role = role;
  row.params = speed.parameters;
  row.params_without_embeddings = speed.parameters_without_embeddings;
  row.sentences_per_second = speed.sentences_per_second();
  row.predicted = speed.predicted;
  row.metrics = compute_metrics(gold, row.predicted, task.labels);
  const auto config = nlohmann::json::parse(read_file(dir + "/config.json"));
  row.history = config["training"].value("history", nlohmann::json::array());
  row.embeddings = describe_embeddings(config);
  if (role == "distilled") row.name = distilled_name(config["training"]);
  return row;
}

double agreement(const std::vector<int>& a, const std::vector<int>& b) {
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return a.empty() ? 0 : static_cast<double>(same) / a.size();
}

// A student's accuracy on the dev rows its teacher gets right and on those it gets wrong (-1
// for a side without rows). Distillation moves the two apart: a student that copies its
// teacher gains on the first and loses on the second, so with a teacher only a little above
// the gold-label student the two can cancel (issue 15's SST-2 table).
struct TeacherSplit {
  size_t right_rows = 0, wrong_rows = 0;
  double on_right = -1, on_wrong = -1;
};

TeacherSplit split_by_teacher(const std::vector<int>& gold, const std::vector<int>& teacher,
                              const std::vector<int>& student) {
  TeacherSplit split;
  size_t right_correct = 0, wrong_correct = 0;
  for (size_t i = 0; i < gold.size(); ++i) {
    const bool teacher_right = teacher[i] == gold[i];
    (teacher_right ? split.right_rows : split.wrong_rows) += 1;
    if (student[i] == gold[i]) (teacher_right ? right_correct : wrong_correct) += 1;
  }
  if (split.right_rows) split.on_right = static_cast<double>(right_correct) / split.right_rows;
  if (split.wrong_rows) split.on_wrong = static_cast<double>(wrong_correct) / split.wrong_rows;
  return split;
}

// Dev accuracy per epoch of both students, as a PNG, when gnuplot is installed.
bool plot_curves(const std::vector<ModelRow>& rows, const std::string& out_dir) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) return false;
  std::string plot = "set terminal pngcairo size 800,480\nset output '" + out_dir +
                     "/curves.png'\nset xlabel 'epoch'\nset xtics 1\nset ylabel 'dev "
                     "accuracy'\nset key bottom right\nplot ";
  std::string data;
  for (size_t r = 1; r < rows.size(); ++r) {
    plot += std::string(r > 1 ? ", " : "") + "'-' with linespoints title '" + rows[r].name +
            "' noenhanced";
    for (const auto& e : rows[r].history)
      data += std::to_string(e["epoch"].get<int>()) + " " +
              std::to_string(e["dev_accuracy"].get<double>()) + "\n";
    data += "e\n";
  }
  write_file_atomic(out_dir + "/curves.gp", plot + "\n" + data);
  return std::system(("gnuplot '" + out_dir + "/curves.gp' > /dev/null 2>&1").c_str()) == 0;
}

}  // namespace

namespace {
// Teacher, distilled student and (when there is one) the baseline, each on one dev set.
std::vector<ModelRow> rows_on(const ReportInputs& in, const std::string& dev_path,
                              std::vector<int>& gold) {
  TaskSpec task = in.task;
  const Dataset dev = read_dataset(dev_path, task);
  gold.clear();
  for (const auto& e : dev.examples) gold.push_back(e.label);
  std::vector<ModelRow> rows;
  rows.push_back(teacher_row(in.teacher_dir, task, dev, gold));
  // The distilled row's name gets its loss from its config.json (distilled_name).
  rows.push_back(student_row("BiLSTM distilled", "distilled", in.student_dir, task, dev, gold));
  if (!in.baseline_dir.empty())
    rows.push_back(
        student_row("BiLSTM, no distillation", "undistilled", in.baseline_dir, task, dev, gold));
  return rows;
}
}  // namespace

namespace {

std::string with_commas(size_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "What each model saw": the section a reader needs to judge the table above.
std::string describe_training_data(const nlohmann::json& data, bool has_baseline) {
  std::ostringstream md;
  md << "\n## What each model saw\n\n";
  const std::string trained_on = data.value("teacher_trained_on", "");
  md << "- Teacher: " << data.value("teacher", "") << ", used as given; "
     << (trained_on.empty() ? "its own training data is not recorded (distill --teacher-trained-on "
                              "says it)"
                            : "trained on " + trained_on)
     << "; its logits computed at " << data.value("teacher_precision", std::string("fp32"))
     << ".\n";
  const size_t gold = data.value("gold_rows", size_t{0});
  const int64_t gold_size = data.value("gold_size", int64_t{-1});
  const std::string train = data.value("train", "");
  md << "- Distilled student: " << with_commas(data.value("transfer_rows", size_t{0}))
     << " rows labeled by the teacher's logits: ";
  if (gold_size < 0)
    md << "the " << with_commas(gold) << " gold rows of " << train;
  else if (gold_size == 0)
    md << "no gold rows (the teacher's labels alone)";
  else
    md << with_commas(gold) << " gold rows (a label-stratified sample of " << train << ", seed "
       << data.value("gold_seed", uint64_t{1}) << ")";
  if (gold > 0)
    md << " and " << with_commas(data.value("augmented_rows", size_t{0})) << " augmented rows";
  if (data.contains("unlabeled")) {
    const auto& u = data["unlabeled"];
    size_t written = u.value("written", size_t{0}),
           dropped_gold = u.value("dropped_as_gold", size_t{0});
    md << ", and " << with_commas(written - std::min(written, dropped_gold)) << " unlabeled texts";
    if (u.value("sample", size_t{0}) > 0)
      md << " (of the --unlabeled files, a seeded sample of "
         << with_commas(u.value("sample", size_t{0})) << ")";
    md << ":\n";
    for (const auto& s : u["sources"]) {
      md << "  - " << s.value("path", "") << " (" << s.value("layout", "")
         << "): " << with_commas(s.value("texts", size_t{0})) << " texts; "
         << with_commas(s.value("held_out", size_t{0}))
         << " dropped as equal to a dev or test text, "
         << with_commas(s.value("duplicates", size_t{0})) << " as repeats, "
         << with_commas(s.value("blank", size_t{0})) << " blank rows skipped; "
         << with_commas(s.value("kept", size_t{0})) << " kept\n";
    }
    md << "  - " << with_commas(dropped_gold)
       << " dropped as equal to a gold row in use (texts compared as the student reads them)\n";
  } else {
    md << ".\n";
  }
  if (has_baseline && data.contains("baseline")) {
    const auto& b = data["baseline"];
    md << "- Undistilled student: the same " << with_commas(b.value("rows", size_t{0}))
       << " gold rows alone, " << b.value("epochs", 0) << " epochs at most (patience "
       << b.value("patience", 0) << "): as many optimizer steps as the distilled student.\n";
  } else if (gold == 0) {
    md << "- Undistilled student: none (no gold labels to train it on).\n";
  }
  md << "- Both students' epoch was chosen on dev's labels: dev accuracy is that of the best "
        "epoch, so a little optimistic.\n";
  return md.str();
}

}  // namespace

std::string teacher_student_note(double teacher, double student, bool gold_only) {
  if (student <= teacher) return "";
  char line[320];
  // A teacher weaker than the student trained on gold labels alone is said plainly: a pair
  // teacher fine-tuned on a few thousand pairs can be, and distilling from it cannot be
  // expected to help. A distilled student above its teacher is no such sign (the gold labels
  // and the teacher's logits together can pass it): without a gold-only student the report
  // says what it cannot tell.
  if (gold_only) {
    std::snprintf(line, sizeof line,
                  "Note: the teacher (%.2f%%) scores below the student trained on the gold labels "
                  "alone (%.2f%%) on dev; distillation needs a stronger teacher to add "
                  "anything.\n",
                  teacher, student);
  } else {
    std::snprintf(line, sizeof line,
                  "Note: the distilled student (%.2f%%) scores above its teacher (%.2f%%) on dev; "
                  "with no student trained on the gold labels alone, this report cannot say what "
                  "distillation added.\n",
                  student, teacher);
  }
  return line;
}

nlohmann::json write_report(const ReportInputs& in) {
  std::vector<int> gold;
  const std::vector<ModelRow> rows = rows_on(in, in.dev_path, gold);

  nlohmann::json json = {{"task", in.task.describe()},
                         {"dev", in.dev_path},
                         {"transfer_rows", in.transfer_rows},
                         {"command", in.command},
                         {"models", nlohmann::json::array()}};
  std::ostringstream md;
  md << "# Distillation report\n\nTask " << in.task.describe() << ", dev file " << in.dev_path
     << ", transfer set " << in.transfer_rows << " rows.\n\n";
  if (!in.data.is_null() && in.data.contains("data_format"))
    md << "The task's files are the " << in.data["data_format"].get<std::string>() << " files of "
       << in.data["data_dir"].get<std::string>()
       << ", rewritten as TSV by the data stage (the paths here are those copies).\n\n";
  if (!in.data.is_null() && !in.data.value("setting", "").empty())
    md << in.data.value("setting", "") << "\n\n";
  md << "| model | embeddings | dev accuracy | F1 | parameters | without embeddings | "
        "sentences/s (dev, batch "
     << kSpeedBatch << ", this machine) |\n";
  md << "|---|---|---|---|---|---|---|\n";
  char line[512];
  std::vector<TeacherSplit> splits;  // one per student row
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "| %s | %s | %.4f (%lld/%lld) | %.4f | %lld | %lld | %.0f |\n",
                  r.name.c_str(), r.embeddings.c_str(), r.metrics.accuracy,
                  static_cast<long long>(r.metrics.correct),
                  static_cast<long long>(r.metrics.total), r.metrics.positive_f1,
                  static_cast<long long>(r.params),
                  static_cast<long long>(r.params_without_embeddings), r.sentences_per_second);
    md << line;
    json["models"].push_back({{"name", r.name},
                              {"role", r.role},
                              {"embeddings", r.embeddings},
                              {"metrics", metrics_to_json(r.metrics)},
                              {"parameters", r.params},
                              {"parameters_without_embeddings", r.params_without_embeddings},
                              {"sentences_per_second", r.sentences_per_second},
                              {"history", r.history}});
    if (r.role == "teacher") continue;
    splits.push_back(split_by_teacher(gold, rows[0].predicted, r.predicted));
    auto& model = json["models"].back();
    const auto side = [](double accuracy) {
      return accuracy < 0 ? nlohmann::json() : nlohmann::json(accuracy);
    };
    model["where_teacher_right"] = side(splits.back().on_right);
    model["where_teacher_wrong"] = side(splits.back().on_wrong);
  }
  const double speedup = rows[1].sentences_per_second / rows[0].sentences_per_second;
  const double agree = agreement(rows[0].predicted, rows[1].predicted);
  std::snprintf(
      line, sizeof line,
      "\nThe distilled student has %.0fx fewer parameters than the teacher (%.0fx without "
      "embeddings), "
      "runs %.1fx faster here, and agrees with the teacher on %.1f%% of dev.\n",
      static_cast<double>(rows[0].params) / rows[1].params,
      static_cast<double>(rows[0].params_without_embeddings) / rows[1].params_without_embeddings,
      speedup, 100 * agree);
  md << line;
  if (splits[0].right_rows && splits[0].wrong_rows) {
    char undistilled_right[32] = "", undistilled_wrong[32] = "";
    if (splits.size() > 1) {
      std::snprintf(undistilled_right, sizeof undistilled_right, " (undistilled %.2f%%)",
                    100 * splits[1].on_right);
      std::snprintf(undistilled_wrong, sizeof undistilled_wrong, " (undistilled %.2f%%)",
                    100 * splits[1].on_wrong);
    }
    std::snprintf(line, sizeof line,
                  "Where the teacher is right (%zu of %zu dev rows) the distilled student is right "
                  "on %.2f%%%s; where it is wrong (%zu rows), on %.2f%%%s.\n",
                  splits[0].right_rows, gold.size(), 100 * splits[0].on_right, undistilled_right,
                  splits[0].wrong_rows, 100 * splits[0].on_wrong, undistilled_wrong);
    md << line;
  }
  for (const std::string& path : in.more_dev_paths) {
    md << "\nAlso scored on " << path << ":\n\n| model | dev accuracy | F1 |\n|---|---|---|\n";
    nlohmann::json scored = {{"dev", path}, {"models", nlohmann::json::array()}};
    std::vector<int> more_gold;
    for (const ModelRow& r : rows_on(in, path, more_gold)) {
      std::snprintf(line, sizeof line, "| %s | %.4f (%lld/%lld) | %.4f |\n", r.name.c_str(),
                    r.metrics.accuracy, static_cast<long long>(r.metrics.correct),
                    static_cast<long long>(r.metrics.total), r.metrics.positive_f1);
      md << line;
      scored["models"].push_back({{"name", r.name}, {"metrics", metrics_to_json(r.metrics)}});
    }
    json["more_dev"].push_back(scored);
  }
  if (!in.more_dev_paths.empty()) md << "\n";
  const ModelRow& compared = rows.back();
  md << teacher_student_note(100 * rows[0].metrics.accuracy, 100 * compared.metrics.accuracy,
                             rows.size() > 2);
  json["teacher_below_student"] = compared.metrics.accuracy > rows[0].metrics.accuracy;
  if (rows.size() > 2) {
    const double gain = 100 * (rows[1].metrics.accuracy - rows[2].metrics.accuracy);
    std::snprintf(line, sizeof line,
                  "Distillation adds %+.2f points of dev accuracy over the same BiLSTM trained on "
                  "the gold labels alone (for as many optimizer steps).\n",
                  gain);
    md << line;
    json["distillation_gain_points"] = gain;
  }
  if (!in.data.is_null()) {
    md << describe_training_data(in.data, !in.baseline_dir.empty());
    json["data"] = in.data;
  }
  json["student_speedup"] = speedup;
  json["teacher_student_agreement"] = agree;
  json["teacher_right_rows"] = splits[0].right_rows;
  json["teacher_wrong_rows"] = splits[0].wrong_rows;
  if (plot_curves(rows, in.out_dir)) md << "\n![dev accuracy per epoch](curves.png)\n";
  md << "\nProduced by:\n\n    " << in.command << "\n";
  write_file_atomic(in.out_dir + "/report.json", json.dump(2) + "\n");
  write_file_atomic(in.out_dir + "/report.md", md.str());
  return json;
}

namespace {

struct RunSummary {
  std::string dir, command;
  std::string student;  // its embeddings, and its loss unless distill's default
  size_t transfer_rows = 0;
  double teacher = -1, distilled = -1, undistilled = -1;  // dev accuracy, -1 when absent
  // Dev accuracy where the teacher is right / wrong (reports since issue 15), -1 when absent.
  double distilled_right = -1, distilled_wrong = -1, undistilled_right = -1, undistilled_wrong = -1;
  // From the report's record of what the models saw (since issue 32): gold rows (-1: not
  // recorded) and the unlabeled text, as words ("augmentation only", "rest of train + a.txt").
  int64_t gold_rows = -1;
  std::string text_sources;
};

double accuracy_or_absent(const nlohmann::json& model, const char* key) {
  return model.contains(key) && model[key].is_number() ? model[key].get<double>() : -1;
}

// The loss inside a distilled student's name (distilled_name): "alpha 0.5, KL at T 2".
std::string loss_in(const std::string& name) {
  const size_t open = name.find('('), close = name.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return name.substr(open + 1, close - open - 1);
}

// The distilled student's loss after a "; ", unless it is distill's default loss (since issue
// 15 alpha 0.5 with KL at T 2; the paper's BiLSTM_SOFT is named): what tells two groups of the
// same embeddings apart.
std::string loss_of(const std::string& name) {
  static const std::string default_loss = loss_in(
      distilled_name({{"alpha", kDistillAlpha}, {"kl_temperature", kDistillKlTemperature}}));
  const std::string loss = loss_in(name);
  return loss.empty() || loss == default_loss ? "" : "; " + loss;
}

RunSummary read_run_summary(const std::string& dir) {
  const std::string path = dir + "/report.json";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    fail_file(path, "no such file (not a finished distill run)");
  RunSummary run;
  run.dir = dir;
  try {
    const auto json = nlohmann::json::parse(read_file(path));
    run.command = json.at("command").get<std::string>();
    run.transfer_rows = json.at("transfer_rows").get<size_t>();
    for (const auto& model : json.at("models")) {
      const std::string role = model.value("role", "");
      const double accuracy = model.at("metrics").at("accuracy").get<double>();
      if (role == "teacher") run.teacher = accuracy;
      if (role == "distilled") {
        run.distilled = accuracy;
        run.student = model.value("embeddings", "?") + loss_of(model.value("name", ""));
        run.distilled_right = accuracy_or_absent(model, "where_teacher_right");
        run.distilled_wrong = accuracy_or_absent(model, "where_teacher_wrong");
      }
      if (role == "undistilled") {
        run.undistilled = accuracy;
        run.undistilled_right = accuracy_or_absent(model, "where_teacher_right");
        run.undistilled_wrong = accuracy_or_absent(model, "where_teacher_wrong");
      }
    }
    if (json.contains("data")) {
      const auto& data = json["data"];
      run.gold_rows = data.value("gold_rows", int64_t{0});
      // The gold rows are augmented whenever there are any: a setting is named by its
      // unlabeled text, the same at every gold size.
      run.text_sources = "augmentation only";
      if (data.contains("unlabeled")) {
        run.text_sources.clear();
        const auto& u = data["unlabeled"];
        const size_t sample = u.value("sample", size_t{0});
        for (const auto& source : u.at("sources")) {
          const std::string name = std::filesystem::path(source.value("path", "")).filename();
          run.text_sources +=
              (run.text_sources.empty() ? "" : " + ") +
              (name == "train.tsv" && u.value("rest_of_train", false) ? std::string("rest of train")
                                                                      : name);
        }
        if (sample > 0) run.text_sources += " (sample of " + std::to_string(sample) + ")";
      }
    }
  } catch (const nlohmann::json::exception& e) {
    fail_file(path, std::string("is not a distill report: ") + e.what());
  }
  if (run.teacher < 0 || run.distilled < 0)
    fail_file(path,
              "names no teacher or no distilled student (an older report: rerun its "
              "distill command with --from report)");
  return run;
}

std::string percent(double accuracy) {
  if (accuracy < 0) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.2f%%", 100 * accuracy);
  return text;
}

// The command without the flags that differ between seeds of one configuration: runs whose
// commands agree on the rest were trained alike but for the student seed. The thread count
// is one of them: it changes only the order of float additions (sharded_step.h). So is the
// directory a run took its transfer set from: the stages it took matched this run's settings
// (or were redone here), and --from and --stop-after only say which stages a call ran.
// --no-baseline (a switch, no value) only leaves the undistilled student out.
// Words are compared as the shell splits them (util/command_line.h), so a quoted and an
// unquoted spelling of one value agree.
// With `across_gold_sizes`, --gold-size is left out too: the runs of one learning curve.
const std::vector<std::string> kPerRunFlags = {"--student-seed",  "--out",  "--threads",
                                               "--transfer-from", "--from", "--stop-after"};
const std::vector<std::string> kPerRunSwitches = {"--no-baseline"};

std::string configuration_of(const std::string& command, bool across_gold_sizes = false) {
  std::vector<std::string> per_run_flags = kPerRunFlags;
  if (across_gold_sizes) per_run_flags.push_back("--gold-size");
  const std::vector<std::string> words = shell_split(command);
  std::string key;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    bool per_run =
        std::find(kPerRunSwitches.begin(), kPerRunSwitches.end(), word) != kPerRunSwitches.end();
    for (const std::string& flag : per_run_flags) {
      if (word == flag) {
        ++i;  // and its value, which is not then read as a flag
        per_run = true;
        break;
      }
      if (word.rfind(flag + "=", 0) == 0) {
        per_run = true;
        break;
      }
    }
    if (!per_run) key += word + " ";
  }
  return key;
}

struct Spread {
  double mean = 0, sd = 0, min = 0, max = 0;
};

// Mean, sample standard deviation, min and max, in points.
Spread spread_of(const std::vector<double>& accuracies) {
  Spread s;
  s.min = s.max = 100 * accuracies.front();
  for (double a : accuracies) {
    s.mean += 100 * a / accuracies.size();
    s.min = std::min(s.min, 100 * a);
    s.max = std::max(s.max, 100 * a);
  }
  for (double a : accuracies) s.sd += (100 * a - s.mean) * (100 * a - s.mean);
  s.sd = accuracies.size() > 1 ? std::sqrt(s.sd / (accuracies.size() - 1)) : 0;
  return s;
}

// A difference (a gain) is signed, and its range spelled out: "-2.52-1.26" would read badly.
std::string describe(const Spread& s, bool difference = false) {
  char text[64];
  std::snprintf(text, sizeof text,
                difference ? "%+.2f ± %.2f (%+.2f to %+.2f)" : "%.2f ± %.2f (%.2f-%.2f)", s.mean,
                s.sd, s.min, s.max);
  return text;
}

// The same groups split by the teacher's correctness on dev, where every run's report has it:
// where a distilled student's gain over the gold-label student comes from, and where it goes.
void split_table(const std::vector<std::string>& order,
                 const std::map<std::string, std::vector<const RunSummary*>>& groups,
                 std::ostringstream& md) {
  bool any = false;
  for (const auto& key : order) {
    const auto& group = groups.at(key);
    if (group.size() < 2) continue;
    std::vector<double> columns[4];  // distilled right, undistilled right, distilled wrong, ...
    for (const RunSummary* r : group) {
      const double values[4] = {r->distilled_right, r->undistilled_right, r->distilled_wrong,
                                r->undistilled_wrong};
      for (int c = 0; c < 4; ++c)
        if (values[c] >= 0) columns[c].push_back(values[c]);
    }
    if (columns[0].size() != group.size() || columns[2].size() != group.size()) continue;
    if (!any) {
      md << "\nThe same, on the dev rows the teacher gets right and on those it gets wrong "
            "(reports that record them):\n\n"
            "| student | seeds | distilled, teacher right | undistilled, teacher "
            "right | distilled, teacher wrong | undistilled, teacher wrong |\n"
            "|---|---|---|---|---|---|\n";
      any = true;
    }
    md << "| " << group.front()->student << " | " << group.size();
    for (const auto& column : columns)
      md << " | " << (column.size() == group.size() ? describe(spread_of(column)) : "-");
    md << " |\n";
  }
}

// Runs that differ only by --gold-size (and seeds): dev accuracy against the number of gold
// labels, one line per setting for the distilled students and one for the students trained on
// the gold rows alone, as a table and (when gnuplot is installed and `png` is given) a PNG.
void learning_curve(const std::vector<RunSummary>& runs, const std::string& png,
                    std::ostringstream& md) {
  struct Line {
    std::string name;
    std::map<int64_t, std::vector<double>> distilled, gold_only;
  };
  std::vector<std::string> order;
  std::map<std::string, Line> lines;
  std::set<int64_t> sizes;
  std::set<double> teachers;  // one teacher's accuracy is drawn as a line
  for (const auto& r : runs) {
    if (r.gold_rows < 0) continue;
    teachers.insert(r.teacher);
    const std::string key = configuration_of(r.command, true);
    if (!lines.count(key)) {
      order.push_back(key);
      lines[key].name = r.student + "; " + (r.text_sources.empty() ? "-" : r.text_sources);
    }
    lines[key].distilled[r.gold_rows].push_back(r.distilled);
    if (r.undistilled >= 0) lines[key].gold_only[r.gold_rows].push_back(r.undistilled);
    sizes.insert(r.gold_rows);
  }
  if (sizes.size() < 2) return;
  md << "\nLearning curve (runs that differ only by --gold-size and the seeds): dev accuracy in "
        "points against the gold labels the students saw, mean ± sd (min-max) over seeds; "
        "\"undefined\" at 0 gold labels (no student is trained on none), \"-\" where the "
        "runs trained no gold-only student (--no-baseline).\n\n"
        "| setting | gold labels | seeds | distilled | gold only |\n|---|---|---|---|---|\n";
  for (const auto& key : order) {
    const Line& line = lines[key];
    for (const auto& [size, accuracies] : line.distilled) {
      const auto gold_only = line.gold_only.find(size);
      md << "| " << line.name << " | " << size << " | " << accuracies.size() << " | "
         << describe(spread_of(accuracies)) << " | "
         << (gold_only != line.gold_only.end() ? describe(spread_of(gold_only->second))
             : size == 0                       ? std::string("undefined")
                                               : std::string("-"))
         << " |\n";
    }
  }
  if (png.empty() || std::system("command -v gnuplot > /dev/null 2>&1") != 0) return;
  // Gold sizes as evenly spaced ticks (0 and 67,349 on one axis), means with their range.
  std::map<int64_t, int> position;
  for (int64_t size : sizes) position.emplace(size, static_cast<int>(position.size()));
  std::string plot = "set terminal pngcairo size 900,540\nset output '" + png +
                     "'\nset xlabel 'gold labels'\nset ylabel 'dev accuracy (points)'\n"
                     "set key bottom right\nset xrange [-0.5:" +
                     std::to_string(sizes.size() - 0.5) + "]\nplot ";
  std::string data;
  bool first = true;
  for (const auto& key : order) {
    const Line& line = lines[key];
    for (const auto* series : {&line.distilled, &line.gold_only}) {
      // A gold-only line of one point (a setting run --no-baseline but at one size) is left
      // to the table: the gold-only students of another setting draw the line.
      if (series->empty() || (series == &line.gold_only && series->size() < 2)) continue;
      plot += std::string(first ? "" : ", ") +
              "'-' using 1:2:3:4:xtic(5) with yerrorlines title '" + line.name +
              (series == &line.distilled ? ", distilled" : ", gold only") + "' noenhanced";
      first = false;
      for (const auto& [size, accuracies] : *series) {
        const Spread s = spread_of(accuracies);
        data += std::to_string(position[size]) + " " + std::to_string(s.mean) + " " +
                std::to_string(s.min) + " " + std::to_string(s.max) + " " + std::to_string(size) +
                "\n";
      }
      data += "e\n";
    }
  }
  if (teachers.size() == 1) {
    plot += ", '-' using 1:2 with lines dashtype 2 linecolor 'gray30' title 'teacher'";
    const std::string at = std::to_string(100 * *teachers.begin());
    data += "-0.5 " + at + "\n" + std::to_string(sizes.size() - 0.5) + " " + at + "\ne\n";
  }
  write_file_atomic(png + ".gp", plot + "\n" + data);
  if (std::system(("gnuplot '" + png + ".gp' > /dev/null 2>&1").c_str()) == 0)
    md << "\n![learning curve](" << std::filesystem::path(png).filename().string() << ")\n";
}

// Runs that differ only by --student-seed, as one row each: mean ± sd (min-max) over seeds.
void seed_table(const std::vector<RunSummary>& runs, std::ostringstream& md) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const RunSummary*>> groups;
  for (const auto& r : runs) {
    const std::string key = configuration_of(r.command);
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&r);
  }
  bool any = false;
  for (const auto& key : order) {
    const auto& group = groups[key];
    if (group.size() < 2) continue;
    if (!any) {
      std::string flags;
      for (const auto* list : {&kPerRunFlags, &kPerRunSwitches})
        for (const auto& flag : *list) flags += (flags.empty() ? "" : ", ") + flag;
      md << "\nOver student seeds (runs whose commands differ only by " << flags
         << "): dev accuracy in points, mean ± sample standard deviation (min-max).\n\n"
            "| student | seeds | distilled | undistilled | distillation adds | "
            "first run |\n|---|---|---|---|---|---|\n";
      any = true;
    }
    std::vector<double> distilled, undistilled, gains;
    for (const RunSummary* r : group) {
      distilled.push_back(r->distilled);
      if (r->undistilled >= 0) {
        undistilled.push_back(r->undistilled);
        gains.push_back(r->distilled - r->undistilled);
      }
    }
    md << "| " << group.front()->student << " | " << group.size() << " | "
       << describe(spread_of(distilled)) << " | "
       << (undistilled.empty() ? "-" : describe(spread_of(undistilled))) << " | "
       << (gains.size() == group.size() ? describe(spread_of(gains), true) : "-") << " | "
       << group.front()->dir << " |\n";
  }
  if (any) split_table(order, groups, md);
}

}  // namespace

std::string compare_reports(const std::vector<std::string>& run_dirs, const std::string& png) {
  std::vector<RunSummary> runs;
  for (const auto& dir : run_dirs) runs.push_back(read_run_summary(dir));
  std::ostringstream md;
  md << "| run | student | transfer rows | teacher | distilled | undistilled | "
        "distillation adds |\n|---|---|---|---|---|---|---|\n";
  for (const auto& r : runs) {
    char gain[16] = "-";
    if (r.undistilled >= 0)
      std::snprintf(gain, sizeof gain, "%+.2f", 100 * (r.distilled - r.undistilled));
    md << "| " << r.dir << " | " << r.student << " | " << r.transfer_rows << " | "
       << percent(r.teacher) << " | " << percent(r.distilled) << " | " << percent(r.undistilled)
       << " | " << gain << " |\n";
  }
  seed_table(runs, md);
  learning_curve(runs, png, md);
  md << "\nDev accuracy. Produced by:\n\n";
  for (const auto& r : runs) md << "    " << r.command << "\n";
  return md.str();
}

}  // namespace b2b
