#include "data/task.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"

namespace b2b {

int TaskSpec::label_id(const std::string& name) const {
  const auto it = std::find(labels.begin(), labels.end(), name);
  return it == labels.end() ? -1 : static_cast<int>(it - labels.begin());
}

std::string TaskSpec::describe() const {
  if (name != "tsv") return name;
  std::string spec = "tsv:text_a=" + text_a;
  if (is_pair()) spec += ",text_b=" + text_b;
  if (!label_column.empty()) spec += ",label=" + label_column;
  if (!labels.empty()) {
    spec += ",labels=";
    for (size_t i = 0; i < labels.size(); ++i) spec += (i ? "|" : "") + labels[i];
  }
  return spec;
}

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

TaskSpec parse_generic(const std::string& spec, Quoting quoting) {
  TaskSpec task;
  task.name = "tsv";
  task.quoting = quoting;
  for (const std::string& item : split(spec, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) throw Error("--task: expected key=value, got '" + item + "'");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "text_a") {
      task.text_a = value;
    } else if (key == "text_b") {
      task.text_b = value;
    } else if (key == "label") {
      task.label_column = value;
    } else if (key == "labels") {
      task.labels = split(value, '|');
    } else {
      throw Error("--task: unknown key '" + key + "' (expected text_a, text_b, label, labels)");
    }
  }
  // label= may be left out for files without labels (unlabeled text, `teacher label`,
  // `predict`); a command that needs gold labels says so when it reads them.
  if (task.text_a.empty()) throw Error("--task: a tsv task needs text_a=COLUMN");
  return task;
}

}  // namespace

TaskSpec parse_task(const std::string& spec, Quoting quoting) {
  TaskSpec task;
  task.name = spec;
  if (spec == "sst2") {
    task.text_a = "sentence";
    task.label_column = "label";
    task.labels = {"0", "1"};
  } else if (spec == "mnli") {
    task.text_a = "sentence1";
    task.text_b = "sentence2";
    task.label_column = "gold_label";
    task.labels = {"entailment", "neutral", "contradiction"};
  } else if (spec == "qqp") {
    task.text_a = "question1";
    task.text_b = "question2";
    task.label_column = "is_duplicate";
    task.labels = {"0", "1"};
    task.skip_malformed_rows = true;
  } else if (spec.rfind("tsv:", 0) == 0) {
    return parse_generic(spec.substr(4), quoting);
  } else {
    throw Error("--task: unknown task '" + spec + "' (expected sst2, mnli, qqp or tsv:...)");
  }
  return task;
}

Quoting parse_quoting(const std::string& name) {
  if (name == "none") return Quoting::kNone;
  if (name == "csv") return Quoting::kCsv;
  throw Error("--quoting: expected none or csv, got '" + name + "'");
}

nlohmann::json task_to_json(const TaskSpec& task) {
  return {{"name", task.name},
          {"text_a", task.text_a},
          {"text_b", task.text_b},
          {"label_column", task.label_column},
          {"labels", task.labels},
          {"quoting", task.quoting == Quoting::kCsv ? "csv" : "none"},
          {"skip_malformed_rows", task.skip_malformed_rows}};
}

TaskSpec task_from_json(const nlohmann::json& json) {
  TaskSpec task;
  task.name = json.at("name").get<std::string>();
  task.text_a = json.at("text_a").get<std::string>();
  task.text_b = json.at("text_b").get<std::string>();
  task.label_column = json.at("label_column").get<std::string>();
  task.labels = json.at("labels").get<std::vector<std::string>>();
  task.quoting = parse_quoting(json.value("quoting", "none"));
  task.skip_malformed_rows = json.value("skip_malformed_rows", false);
  return task;
}

}  // namespace b2b
