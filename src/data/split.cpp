#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "io/records.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/shuffle.h"

namespace b2b {

namespace {

enum class Part { kTrain, kDev, kTest };

// The header and the labeled records of `input`, unchanged, with each label's record indices
// (std::map: labels in a fixed order). Unlabeled or malformed rows cannot be stratified: skipped.
struct LabeledRecords {
  std::string header;
  std::vector<std::string> records;
  std::map<std::string, std::vector<size_t>> by_label;
  size_t skipped = 0;
};

// More distinct labels than this, all numbers, are taken for a score column.
constexpr size_t kMostNumericClasses = 20;

LabeledRecords read_labeled_records(const std::string& input, const TaskSpec& task,
                                    FileFormat format) {
  std::istringstream in(read_text_file(input));
  RecordReader reader(in, input, format, task.quoting);
  LabeledRecords out;
  std::vector<std::string> fields;
  if (!reader.header(fields)) fail_file(input, "empty file (expected a header line)");
  out.header = reader.raw();
  if (task.label_column.empty())
    fail_file(input, "task " + task.describe() + " names no label column (add label=COLUMN)");
  const auto label_it = std::find(fields.begin(), fields.end(), task.label_column);
  if (label_it == fields.end())
    fail_file(input, "header has no column '" + task.label_column + "'");
  const size_t label_index = label_it - fields.begin(), columns = fields.size();
  bool complete = true;
  while (reader.next(fields, complete)) {
    if (!complete || fields.size() != columns || fields[label_index].empty()) {
      ++out.skipped;
      continue;
    }
    out.by_label[fields[label_index]].push_back(out.records.size());
    out.records.push_back(reader.raw());
  }
  // A column of many distinct numbers is a score (SICK's relatedness_score), not a class:
  // stratifying by it would make each value a class of its own.
  const auto is_number = [](const std::string& text) {
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return !text.empty() && end == text.c_str() + text.size();
  };
  if (out.by_label.size() > kMostNumericClasses &&
      std::all_of(out.by_label.begin(), out.by_label.end(),
                  [&](const auto& entry) { return is_number(entry.first); })) {
    fail_file(input, "label column '" + task.label_column + "' holds " +
                         std::to_string(out.by_label.size()) +
                         " distinct numbers: a score, not a class (label= must name a column "
                         "of classes)");
  }
  return out;
}

}  // namespace

SplitCounts split_dataset(const std::string& input, const TaskSpec& task,
                          const std::string& out_dir, const SplitOptions& options) {
  if (options.dev_ratio < 0 || options.test_ratio < 0 ||
      options.dev_ratio + options.test_ratio >= 1) {
    throw Error("split: --dev-ratio and --test-ratio must be >= 0 and sum to less than 1");
  }
  auto [header, records, by_label, skipped] = read_labeled_records(input, task, options.format);
  SplitCounts counts;
  counts.skipped = skipped;
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
  const std::string ext = std::string(".") + file_format_name(options.format);
  AtomicFile train(out_dir + "/train" + ext), dev(out_dir + "/dev" + ext),
      test(out_dir + "/test" + ext);
  if (!header.empty())  // a jsonl file has no header line
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

GoldSample sample_gold_rows(const std::string& input, const TaskSpec& task,
                            const std::string& output, size_t rows, uint64_t seed) {
  auto [header, records, by_label, skipped] = read_labeled_records(input, task, FileFormat::kTsv);
  if (rows > records.size()) {
    fail_file(input, "--gold-size " + std::to_string(rows) + " is more than its " +
                         std::to_string(records.size()) + " labeled rows");
  }
  // Each label's share of `rows` by largest remainder (ties to the label first in name order),
  // so the sample keeps the training set's label proportions and sums to `rows` exactly.
  std::vector<std::pair<std::string, size_t>> quota;
  std::vector<std::pair<double, size_t>> remainders;
  size_t given = 0;
  for (const auto& [label, indices] : by_label) {
    const double exact = static_cast<double>(rows) * indices.size() / records.size();
    quota.emplace_back(label, static_cast<size_t>(exact));
    given += quota.back().second;
    remainders.emplace_back(-(exact - quota.back().second), quota.size() - 1);
  }
  std::stable_sort(remainders.begin(), remainders.end());
  for (size_t i = 0; given < rows; ++i, ++given) ++quota[remainders[i].second].second;
  std::vector<bool> keep(records.size(), false);
  std::mt19937_64 rng(seed);
  GoldSample sample;
  sample.labeled = records.size();
  size_t q = 0;
  for (auto& [label, indices] : by_label) {
    seeded_shuffle(indices, rng);
    for (size_t i = 0; i < quota[q].second; ++i) keep[indices[i]] = true;
    sample.per_label[label] = quota[q++].second;
  }
  AtomicFile out(output);
  out.stream() << header << '\n';
  for (size_t i = 0; i < records.size(); ++i) {
    if (keep[i]) out.stream() << records[i] << '\n';
  }
  out.commit();
  sample.rows = rows;
  return sample;
}

}  // namespace b2b
