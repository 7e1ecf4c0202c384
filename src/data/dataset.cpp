#include "data/dataset.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

namespace {

// Column positions resolved from the header line.
struct Columns {
  int text_a = -1, text_b = -1, label = -1;
  std::vector<int> logits;
  size_t count = 0;
};

int find_column(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : static_cast<int>(it - header.begin());
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

Columns resolve_columns(const std::vector<std::string>& header, const TaskSpec& task,
                        const ReadOptions& options, const std::string& path) {
  Columns columns;
  columns.count = header.size();
  auto require = [&](const std::string& name) {
    const int index = find_column(header, name);
    if (index < 0) {
      fail_file(path, "header has no column '" + name + "' for task " + task.describe() +
                          " (columns: " + join(header) + ")");
    }
    return index;
  };
  columns.text_a = require(task.text_a);
  if (task.is_pair()) columns.text_b = require(task.text_b);
  columns.label = task.label_column.empty() ? -1 : find_column(header, task.label_column);
  if (columns.label < 0) columns.label = find_column(header, "label");  // a transfer set
  if (columns.label < 0 && options.labels_required) {
    if (task.label_column.empty())
      fail_file(path, "task " + task.describe() +
                          " names no label column, and this file needs gold labels (add "
                          "label=COLUMN to --task)");
    require(task.label_column);
  }
  for (int k = 0;; ++k) {
    const int index = find_column(header, "logit_" + std::to_string(k));
    if (index < 0) break;
    columns.logits.push_back(index);
  }
  return columns;
}

float parse_logit(const std::string& text, const std::string& path, size_t line) {
  char* end = nullptr;
  errno = 0;
  const float value = std::strtof(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) {
    fail_line(path, line, "logit '" + text + "' is not a number");
  }
  // A nan or inf would turn every later loss and weight into nan.
  if (!std::isfinite(value)) fail_line(path, line, "logit '" + text + "' is not finite");
  return value;
}

// Assigns label ids once the label list is known; returns rows kept.
void assign_labels(Dataset& data, std::vector<std::string>& raw_labels, std::vector<size_t>& lines,
                   TaskSpec& task, const ReadOptions& options) {
  if (task.labels.empty() && options.discover_labels) {
    std::set<std::string> names;
    for (const auto& name : raw_labels) {
      if (!name.empty()) names.insert(name);
    }
    task.labels.assign(names.begin(), names.end());
  }
  std::vector<Example> kept;
  kept.reserve(data.examples.size());
  for (size_t i = 0; i < data.examples.size(); ++i) {
    Example& example = data.examples[i];
    if (!raw_labels[i].empty()) {
      example.label = task.label_id(raw_labels[i]);
      if (example.label < 0) {
        fail_line(
            data.path, lines[i],
            "unknown label '" + raw_labels[i] + "' (expected one of: " + join(task.labels) + ")");
      }
    } else if (options.labels_required && !data.has_logits) {
      ++data.skipped_unlabeled;
      continue;
    }
    kept.push_back(std::move(example));
  }
  data.examples = std::move(kept);
}

}  // namespace

struct DatasetReader::State {
  std::ifstream file;
  std::unique_ptr<RecordReader> records;
  Columns columns;
  std::vector<std::string> fields;
};

DatasetReader::DatasetReader(const std::string& path, const TaskSpec& task,
                             const ReadOptions& options)
    : state_(std::make_unique<State>()), path_(path), task_(task), options_format_(options.format) {
  state_->file = open_input_file(path);
  state_->records =
      std::make_unique<RecordReader>(state_->file, path, options.format, task.quoting);
  auto& fields = state_->fields;
  if (!state_->records->header(fields) || (fields.size() == 1 && fields[0].empty()))
    fail_file(path, "empty file (expected a header line)");
  state_->columns = resolve_columns(fields, task, options, path);
  has_logits_ = !state_->columns.logits.empty();
  if (has_logits_ && !task.labels.empty() && state_->columns.logits.size() != task.labels.size()) {
    fail_file(path, "has " + std::to_string(state_->columns.logits.size()) +
                        " logit columns but task " + task.describe() + " has " +
                        std::to_string(task.labels.size()) + " labels");
  }
  line_ = state_->records->line();
}

DatasetReader::~DatasetReader() = default;

bool DatasetReader::next(Example& example, std::string& raw_label) {
  auto& fields = state_->fields;
  const Columns& columns = state_->columns;
  bool closed = true;
  while (state_->records->next(fields, closed)) {
    line_ = state_->records->line();
    if (!closed || fields.size() != columns.count) {
      if (task_.skip_malformed_rows) {
        ++skipped_malformed_;
        continue;
      }
      fail_line(path_, line_,
                closed ? "expected " + std::to_string(columns.count) + " " +
                             (options_format_ == FileFormat::kCsv ? "comma" : "tab") +
                             "-separated fields, found " + std::to_string(fields.size())
                       : "unterminated quoted field");
    }
    example.text_a = std::move(fields[columns.text_a]);
    example.text_b = columns.text_b >= 0 ? std::move(fields[columns.text_b]) : std::string();
    example.label = -1;
    example.logits.clear();
    for (int index : columns.logits)
      example.logits.push_back(parse_logit(fields[index], path_, line_));
    raw_label = columns.label >= 0 ? std::move(fields[columns.label]) : std::string();
    return true;
  }
  return false;
}

int DatasetReader::label_of(const std::string& raw_label) const {
  if (raw_label.empty()) return -1;
  const int id = task_.label_id(raw_label);
  if (id < 0) {
    fail_line(path_, line_,
              "unknown label '" + raw_label + "' (expected one of: " + join(task_.labels) + ")");
  }
  return id;
}

Dataset read_dataset(const std::string& path, TaskSpec& task, const ReadOptions& options) {
  Dataset data;
  data.path = path;
  DatasetReader reader(path, task, options);
  data.has_logits = reader.has_logits();
  std::vector<std::string> raw_labels;
  std::vector<size_t> lines;
  Example example;
  std::string raw_label;
  while (reader.next(example, raw_label)) {
    raw_labels.push_back(std::move(raw_label));
    lines.push_back(reader.line());
    data.examples.push_back(std::move(example));
  }
  data.skipped_malformed = reader.skipped_malformed();
  assign_labels(data, raw_labels, lines, task, options);
  if (data.examples.empty()) fail_file(path, "no examples after the header");
  if (data.skipped_malformed > 0) {
    warn(path + ": skipped " + std::to_string(data.skipped_malformed) +
         " malformed rows (wrong number of fields)");
  }
  if (data.skipped_unlabeled > 0) {
    warn(path + ": skipped " + std::to_string(data.skipped_unlabeled) + " rows without a label");
  }
  return data;
}

size_t convert_task_file(const std::string& input, const TaskSpec& task, FileFormat format,
                         const std::string& output) {
  TaskSpec own = task;
  ReadOptions options;
  options.labels_required = false;  // a test file may have no labels
  options.format = format;
  const Dataset data = read_dataset(input, own, options);
  std::vector<std::string> fields = {task.text_a};
  if (task.is_pair()) fields.push_back(task.text_b);
  if (!task.label_column.empty()) fields.push_back(task.label_column);
  AtomicFile out(output);
  out.stream() << join_record(fields, task.quoting) << '\n';
  for (const Example& e : data.examples) {
    fields = {e.text_a};
    if (task.is_pair()) fields.push_back(e.text_b);
    if (!task.label_column.empty()) fields.push_back(e.label >= 0 ? own.labels[e.label] : "");
    out.stream() << join_record(fields, task.quoting) << '\n';
  }
  out.commit();
  return data.examples.size();
}

}  // namespace b2b
