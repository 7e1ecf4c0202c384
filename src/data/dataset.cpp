#include "data/dataset.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

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
  columns.label = find_column(header, task.label_column);
  if (columns.label < 0) columns.label = find_column(header, "label");  // a transfer set
  if (columns.label < 0 && options.labels_required) require(task.label_column);
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

Dataset read_dataset(const std::string& path, TaskSpec& task, const ReadOptions& options) {
  const std::string content = read_text_file(path);
  Dataset data;
  data.path = path;
  std::istringstream in(content);
  std::string line;
  if (!read_line(in, line) || line.empty()) fail_file(path, "empty file (expected a header line)");
  if (!is_valid_utf8(line)) fail_line(path, 1, "invalid UTF-8");
  std::vector<std::string> fields;
  if (!split_record(line, task.quoting, fields)) fail_line(path, 1, "unterminated quoted field");
  const Columns columns = resolve_columns(fields, task, options, path);
  data.has_logits = !columns.logits.empty();
  if (data.has_logits && !task.labels.empty() && columns.logits.size() != task.labels.size()) {
    fail_file(path, "has " + std::to_string(columns.logits.size()) + " logit columns but task " +
                        task.describe() + " has " + std::to_string(task.labels.size()) + " labels");
  }

  std::vector<std::string> raw_labels;
  std::vector<size_t> lines;
  size_t line_number = 1;
  while (read_line(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    if (!is_valid_utf8(line)) fail_line(path, line_number, "invalid UTF-8");
    const bool closed = split_record(line, task.quoting, fields);
    if (!closed || fields.size() != columns.count) {
      if (task.skip_malformed_rows) {
        ++data.skipped_malformed;
        continue;
      }
      fail_line(path, line_number,
                closed ? "expected " + std::to_string(columns.count) +
                             " tab-separated fields, found " + std::to_string(fields.size())
                       : "unterminated quoted field");
    }
    Example example;
    example.text_a = std::move(fields[columns.text_a]);
    if (columns.text_b >= 0) example.text_b = std::move(fields[columns.text_b]);
    for (int index : columns.logits) {
      example.logits.push_back(parse_logit(fields[index], path, line_number));
    }
    raw_labels.push_back(columns.label >= 0 ? fields[columns.label] : std::string());
    lines.push_back(line_number);
    data.examples.push_back(std::move(example));
  }
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

}  // namespace b2b
