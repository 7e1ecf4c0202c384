#include "data/metrics.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"

namespace b2b {

namespace {
double ratio(int64_t a, int64_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / b; }
}  // namespace

Metrics compute_metrics(const std::vector<int>& gold, const std::vector<int>& predicted,
                        const std::vector<std::string>& labels) {
  if (gold.size() != predicted.size()) throw Error("metrics: gold and predicted sizes differ");
  const size_t k = labels.size();
  Metrics m;
  m.labels = labels;
  m.confusion.assign(k, std::vector<int64_t>(k, 0));
  for (size_t i = 0; i < gold.size(); ++i) {
    if (gold[i] < 0) continue;
    if (static_cast<size_t>(gold[i]) >= k || predicted[i] < 0 ||
        static_cast<size_t>(predicted[i]) >= k) {
      throw Error("metrics: label id out of range");
    }
    ++m.total;
    m.correct += gold[i] == predicted[i];
    ++m.confusion[gold[i]][predicted[i]];
  }
  m.accuracy = ratio(m.correct, m.total);
  double macro_f1 = 0;
  for (size_t c = 0; c < k; ++c) {
    int64_t predicted_c = 0, gold_c = 0;
    for (size_t j = 0; j < k; ++j) {
      predicted_c += m.confusion[j][c];
      gold_c += m.confusion[c][j];
    }
    const double p = ratio(m.confusion[c][c], predicted_c);
    const double r = ratio(m.confusion[c][c], gold_c);
    m.precision.push_back(p);
    m.recall.push_back(r);
    m.f1.push_back(p + r > 0 ? 2 * p * r / (p + r) : 0.0);
    macro_f1 += m.f1.back();
  }
  m.positive_f1 = k == 2 ? m.f1[1] : (k ? macro_f1 / k : 0.0);
  return m;
}

std::string format_metrics(const Metrics& m) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "accuracy %.4f (%lld/%lld)\n", m.accuracy,
                static_cast<long long>(m.correct), static_cast<long long>(m.total));
  out << line;
  if (m.labels.size() == 2) {
    std::snprintf(line, sizeof line, "f1 (positive class '%s') %.4f\n", m.labels[1].c_str(),
                  m.positive_f1);
    out << line;
  } else {
    std::snprintf(line, sizeof line, "macro f1 %.4f\n", m.positive_f1);
    out << line;
  }
  out << "label\tprecision\trecall\tf1\n";
  for (size_t c = 0; c < m.labels.size(); ++c) {
    std::snprintf(line, sizeof line, "%s\t%.4f\t%.4f\t%.4f\n", m.labels[c].c_str(), m.precision[c],
                  m.recall[c], m.f1[c]);
    out << line;
  }
  out << "confusion (rows gold, columns predicted)\n";
  for (size_t c = 0; c < m.labels.size(); ++c) {
    out << m.labels[c];
    for (int64_t n : m.confusion[c]) out << '\t' << n;
    out << '\n';
  }
  return out.str();
}

nlohmann::json metrics_to_json(const Metrics& m) {
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < m.labels.size(); ++c) {
    per_class[m.labels[c]] = {
        {"precision", m.precision[c]}, {"recall", m.recall[c]}, {"f1", m.f1[c]}};
  }
  return {{"accuracy", m.accuracy},  {"correct", m.correct},
          {"total", m.total},        {m.labels.size() == 2 ? "f1" : "macro_f1", m.positive_f1},
          {"labels", m.labels},      {"per_class", per_class},
          {"confusion", m.confusion}};
}

}  // namespace b2b
