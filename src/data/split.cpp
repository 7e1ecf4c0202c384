#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "io/delimited.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/shuffle.h"
#include "util/utf8.h"

namespace b2b {

namespace {

enum class Part { kTrain, kDev, kTest };

}  // namespace

SplitCounts split_dataset(const std::string& input, const TaskSpec& task,
                          const std::string& out_dir, const SplitOptions& options) {
  if (options.dev_ratio < 0 || options.test_ratio < 0 ||
      options.dev_ratio + options.test_ratio >= 1) {
    throw Error("split: --dev-ratio and --test-ratio must be >= 0 and sum to less than 1");
  }
  std::istringstream in(read_text_file(input));
  std::string header, line;
  if (!read_line(in, header) || header.empty())
    fail_file(input, "empty file (expected a header line)");
  std::vector<std::string> fields;
  split_record(header, task.quoting, fields);
  const auto label_it = std::find(fields.begin(), fields.end(), task.label_column);
  if (label_it == fields.end())
    fail_file(input, "header has no column '" + task.label_column + "'");
  const size_t label_index = label_it - fields.begin(), columns = fields.size();

  SplitCounts counts;
  std::vector<std::string> records;
  std::map<std::string, std::vector<size_t>> by_label;
  size_t line_number = 1;
  while (read_line(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    if (!is_valid_utf8(line)) fail_line(input, line_number, "invalid UTF-8");
    if (!split_record(line, task.quoting, fields) || fields.size() != columns ||
        fields[label_index].empty()) {
      ++counts.skipped;  // unlabeled or malformed rows cannot be stratified
      continue;
    }
    by_label[fields[label_index]].push_back(records.size());
    records.push_back(line);
  }
  if (records.empty()) fail_file(input, "no labeled rows to split");

  std::vector<Part> part(records.size(), Part::kTrain);
  std::mt19937_64 rng(options.seed);
  for (auto& [label, rows] : by_label) {  // std::map: labels in a fixed order
    seeded_shuffle(rows, rng);
    const size_t n_dev = static_cast<size_t>(std::llround(rows.size() * options.dev_ratio));
    const size_t n_test = static_cast<size_t>(std::llround(rows.size() * options.test_ratio));
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i < n_dev)
        part[rows[i]] = Part::kDev;
      else if (i < n_dev + n_test)
        part[rows[i]] = Part::kTest;
    }
  }

  std::filesystem::create_directories(out_dir);
  AtomicFile train(out_dir + "/train.tsv"), dev(out_dir + "/dev.tsv"), test(out_dir + "/test.tsv");
  for (AtomicFile* f : {&train, &dev, &test}) f->stream() << header << '\n';
  for (size_t i = 0; i < records.size(); ++i) {
    AtomicFile& f = part[i] == Part::kTrain ? train : part[i] == Part::kDev ? dev : test;
    f.stream() << records[i] << '\n';
    ++(part[i] == Part::kTrain ? counts.train : part[i] == Part::kDev ? counts.dev : counts.test);
  }
  for (AtomicFile* f : {&train, &dev, &test}) f->close();  // all written before any is renamed
  for (AtomicFile* f : {&train, &dev, &test}) f->commit();
  return counts;
}

}  // namespace b2b
