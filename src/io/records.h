#pragma once
// Task files as records of named fields, in three formats, chosen by the caller (a flag, never
// the file's extension: GLUE's and Quora's .tsv/.csv names do not say how they are written):
//   tsv    one record a line, TAB-separated, a header line of column names; quoting as the
//          task's --quoting says (none: quotes are text, as GLUE writes; csv: "" quoting, as
//          Quora's TAB-separated quora-dev.csv has).
//   csv    RFC 4180: comma-separated, a header line, fields quoted with "" where they hold a
//          comma, a quote or a line break (a quoted field may span lines), CRLF or LF.
//   jsonl  JSON Lines: one object a line, its keys the column names (the first object's keys
//          are the header); strings as they are, numbers as JSON writes them (a label 1 is
//          "1"), null or a missing key an empty field; blank lines skipped.
// A UTF-8 byte order mark before the first record is dropped.
#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "io/delimited.h"

namespace b2b {

enum class FileFormat { kTsv, kCsv, kJsonl };

// "tsv", "csv" or "jsonl"; anything else throws Error naming the choices.
FileFormat parse_file_format(const std::string& name);
const char* file_format_name(FileFormat format);

class RecordReader {
 public:
  // Reads `in` (which must outlive the reader); `path` names the file in errors. `quoting`
  // applies to tsv only.
  RecordReader(std::istream& in, std::string path, FileFormat format, Quoting quoting);
  ~RecordReader();

  // The column names. False for a file with no record at all. A bad header throws.
  bool header(std::vector<std::string>& names);
  // The next record's fields, in header order. False at the end. `complete` is false for a
  // tsv record with an unterminated quoted field (the caller decides: skip or fail); every
  // other problem throws Error naming the file and line.
  bool next(std::vector<std::string>& fields, bool& complete);
  // The line the record just read starts on (1 = the first line of the file).
  size_t line() const { return line_; }
  // The text of the header or record just read, as the file has it (a csv record's lines
  // joined by "\n", no line end at the end, no byte order mark): for tools that write the
  // records they keep unchanged (split). A jsonl header is empty: its first object is a record.
  const std::string& raw() const { return raw_; }

 private:
  bool read(std::string& line);
  void json_fields(const std::string& text, std::vector<std::string>& fields);
  std::istream& in_;
  std::string path_;
  FileFormat format_;
  Quoting quoting_;
  std::vector<std::string> names_;
  size_t line_ = 0, next_line_ = 0;
  std::string raw_;
  std::string pending_;  // jsonl: the first object, read for the header
  bool has_pending_ = false;
};

}  // namespace b2b
