#include "data/transfer_set.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>
#include <sstream>
#include <vector>

#include "io/delimited.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/shuffle.h"

namespace b2b {

std::string transfer_set_header(const TaskSpec& task, int64_t num_logits) {
  std::vector<std::string> fields = {task.text_a};
  if (task.is_pair()) fields.push_back(task.text_b);
  fields.push_back("label");
  for (int64_t k = 0; k < num_logits; ++k) fields.push_back("logit_" + std::to_string(k));
  return join_record(fields, task.quoting) + "\n";
}

std::string transfer_set_row(const TaskSpec& task, const Example& example, const float* logits,
                             int64_t num_logits) {
  std::vector<std::string> fields = {example.text_a};
  if (task.is_pair()) fields.push_back(example.text_b);
  fields.push_back(example.label >= 0 ? task.labels[example.label] : "");
  char number[32];
  for (int64_t k = 0; k < num_logits; ++k) {
    std::snprintf(number, sizeof number, "%.9g", logits[k]);  // round-trips a float
    fields.push_back(number);
  }
  return join_record(fields, task.quoting) + "\n";
}

void subsample_transfer_set(const std::string& path, size_t originals, size_t target,
                            uint64_t seed) {
  // The originals are always kept (they carry the gold labels), so a sample smaller than them
  // cannot be drawn: an error, not the whole set, which is what such a target silently gave
  // before (all 981,672 SST-2 rows for --transfer-size 50000). Checked before the file is read.
  if (target < originals)
    fail_file(path, "a transfer set of " + std::to_string(target) + " rows cannot hold its " +
                        std::to_string(originals) +
                        " original rows, which are always kept (ask for at least that many, "
                        "or 0 for every row)");
  std::istringstream in(read_file(path));
  std::string header, line;
  std::getline(in, header);
  std::vector<std::string> rows;
  while (std::getline(in, line)) rows.push_back(line);
  if (target >= rows.size()) return;
  std::vector<size_t> augmented(rows.size() - originals);
  std::iota(augmented.begin(), augmented.end(), originals);
  std::mt19937_64 rng(seed);
  seeded_shuffle(augmented, rng);
  augmented.resize(target - originals);
  std::sort(augmented.begin(), augmented.end());
  AtomicFile out(path);
  out.stream() << header << '\n';
  for (size_t i = 0; i < originals; ++i) out.stream() << rows[i] << '\n';
  for (size_t i : augmented) out.stream() << rows[i] << '\n';
  out.commit();
}

}  // namespace b2b
