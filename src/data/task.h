#pragma once
// A task says which columns of a file hold the texts and the label, and the label order.
// Built-in: sst2, mnli, qqp (GLUE layouts). Any other TSV:
//   tsv:text_a=COL[,text_b=COL],label=COL[,labels=A|B|C]
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "io/delimited.h"

namespace b2b {

struct TaskSpec {
  std::string name;                          // "sst2", "mnli", "qqp" or "tsv"
  std::string text_a, text_b, label_column;  // text_b empty for single-sentence tasks
  // Label names in id order. Empty for a generic task until the training data fixes it
  // (sorted label names then).
  std::vector<std::string> labels;
  Quoting quoting = Quoting::kNone;
  bool skip_malformed_rows = false;  // QQP ships rows with missing fields

  bool is_pair() const { return !text_b.empty(); }
  int num_labels() const { return static_cast<int>(labels.size()); }
  int label_id(const std::string& name) const;  // -1 when unknown
  std::string describe() const;                 // the --task string that reproduces it
};

// Parses --task; `quoting` comes from --quoting (GLUE tasks are never quoted).
TaskSpec parse_task(const std::string& spec, Quoting quoting = Quoting::kNone);
Quoting parse_quoting(const std::string& name);

nlohmann::json task_to_json(const TaskSpec& task);
TaskSpec task_from_json(const nlohmann::json& json);

}  // namespace b2b
