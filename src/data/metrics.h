#pragma once
// Classification metrics: accuracy, per-class precision/recall/F1, confusion matrix, and
// the F1 of the positive class (label id 1) for binary tasks, as GLUE reports for QQP.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace b2b {

struct Metrics {
  std::vector<std::string> labels;
  int64_t total = 0, correct = 0;
  double accuracy = 0;
  std::vector<std::vector<int64_t>> confusion;  // [gold][predicted]
  std::vector<double> precision, recall, f1;    // per class
  double positive_f1 = 0;                       // f1[1] for binary tasks, else macro F1
};

// Rows with gold < 0 are ignored.
Metrics compute_metrics(const std::vector<int>& gold, const std::vector<int>& predicted,
                        const std::vector<std::string>& labels);

std::string format_metrics(const Metrics& metrics);
nlohmann::json metrics_to_json(const Metrics& metrics);

}  // namespace b2b
