#pragma once
// Reading task files (GLUE layouts, generic TSV) and transfer sets (the task's text
// columns, `label`, `logit_0..logit_{k-1}`) into examples.
#include <memory>
#include <string>
#include <vector>

#include "data/task.h"
#include "io/records.h"

namespace b2b {

struct Example {
  std::string text_a, text_b;
  int label = -1;             // -1: no gold label (augmented or unlabeled row)
  std::vector<float> logits;  // the teacher's, in a transfer set
};

struct Dataset {
  std::string path;
  std::vector<Example> examples;
  bool has_logits = false;
  size_t skipped_unlabeled = 0;  // rows without a label in a file that should have one
  size_t skipped_malformed = 0;  // rows with the wrong number of fields (QQP only)
};

struct ReadOptions {
  // Gold rows need a label; rows without one are skipped and counted. With false (predict),
  // the label column may be absent and labels are read where present.
  bool labels_required = true;
  // A generic task without a fixed label list takes the sorted label names it finds.
  bool discover_labels = false;
  // How the file is written (io/records.h): the task files a user gives may be CSV or JSON
  // Lines; the pipeline's own files (transfer sets, samples) are always TSV.
  FileFormat format = FileFormat::kTsv;
};

// Throws Error naming the file (and line) for any problem: missing file, empty file,
// missing columns, wrong field counts, invalid UTF-8, unknown labels, no rows.
Dataset read_dataset(const std::string& path, TaskSpec& task, const ReadOptions& options = {});

// `input`, written as `format` says, rewritten at `output` (atomically) as a TSV task file in
// the task's quoting: a header of the task's columns (text_a, text_b for a pair task, the label
// column) and each row's texts and label (empty where it has none). A line break inside a text
// (and, with no quoting, a TAB) becomes a space: both tokenizers read them as the same
// whitespace. For pipelines whose own stages read TSV (distill --format). Throws as
// read_dataset does. Returns the rows written.
size_t convert_task_file(const std::string& input, const TaskSpec& task, FileFormat format,
                         const std::string& output);

// The same file read a row at a time, for files too large to hold (a transfer set of a million
// rows): the header checked on construction, each row's fields on next(). The task's label
// list must be fixed already (no discovery); rows are returned whatever their label, which
// label_of() turns into an id. Throws as read_dataset does.
class DatasetReader {
 public:
  DatasetReader(const std::string& path, const TaskSpec& task, const ReadOptions& options = {});
  ~DatasetReader();
  // The next row's texts and logits, and its label field (empty when none); false at the end.
  bool next(Example& example, std::string& raw_label);
  // The label id of the row just read (-1 for an empty field); an unknown name is an error
  // naming the file and line.
  int label_of(const std::string& raw_label) const;
  bool has_logits() const { return has_logits_; }
  size_t line() const { return line_; }  // of the row just read
  size_t skipped_malformed() const { return skipped_malformed_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string path_;
  TaskSpec task_;
  FileFormat options_format_ = FileFormat::kTsv;
  bool has_logits_ = false;
  size_t line_ = 0, skipped_malformed_ = 0;
};

}  // namespace b2b
