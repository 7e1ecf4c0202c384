#include "io/records.h"

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

FileFormat parse_file_format(const std::string& name) {
  if (name == "tsv") return FileFormat::kTsv;
  if (name == "csv") return FileFormat::kCsv;
  if (name == "jsonl") return FileFormat::kJsonl;
  throw Error("unknown file format '" + name + "' (expected tsv, csv or jsonl)");
}

const char* file_format_name(FileFormat format) {
  switch (format) {
    case FileFormat::kCsv:
      return "csv";
    case FileFormat::kJsonl:
      return "jsonl";
    case FileFormat::kTsv:
      break;
  }
  return "tsv";
}

RecordReader::RecordReader(std::istream& in, std::string path, FileFormat format, Quoting quoting)
    : in_(in), path_(std::move(path)), format_(format), quoting_(quoting) {}

RecordReader::~RecordReader() = default;

// One physical line, checked for UTF-8; the first line loses a byte order mark.
bool RecordReader::read(std::string& line) {
  if (!read_line(in_, line)) {
    if (in_.bad()) fail_file(path_, "read error");
    return false;
  }
  ++next_line_;
  if (next_line_ == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  if (!is_valid_utf8(line)) fail_line(path_, next_line_, "invalid UTF-8");
  return true;
}

bool RecordReader::header(std::vector<std::string>& names) {
  std::string line;
  if (format_ == FileFormat::kJsonl) {
    do {
      if (!read(line)) return false;
    } while (line.find_first_not_of(" \t") == std::string::npos);
    line_ = next_line_;
    const auto object = nlohmann::json::parse(line, nullptr, false);
    if (object.is_discarded() || !object.is_object())
      fail_line(path_, line_, "not a JSON object (a JSON Lines file has one object a line)");
    names_.clear();
    for (const auto& item : object.items()) names_.push_back(item.key());
    names = names_;
    pending_ = std::move(line);
    has_pending_ = true;
    raw_.clear();
    return true;
  }
  if (!read(line)) return false;
  line_ = next_line_;
  bool complete = false;
  if (format_ == FileFormat::kCsv) {
    complete = split_record(line, Quoting::kCsv, names, ',');
  } else {
    complete = split_record(line, quoting_, names);
  }
  if (!complete) fail_line(path_, line_, "unterminated quoted field in the header");
  names_ = names;
  raw_ = std::move(line);
  return true;
}

void RecordReader::json_fields(const std::string& text, std::vector<std::string>& fields) {
  const auto object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded()) fail_line(path_, line_, "not valid JSON");
  if (!object.is_object()) fail_line(path_, line_, "not a JSON object");
  fields.assign(names_.size(), std::string());
  for (size_t i = 0; i < names_.size(); ++i) {
    const auto it = object.find(names_[i]);
    if (it == object.end() || it->is_null()) continue;
    if (it->is_string()) {
      fields[i] = it->get<std::string>();
    } else if (it->is_number() || it->is_boolean()) {
      fields[i] = it->dump();
    } else {
      fail_line(path_, line_,
                "'" + names_[i] + "' is " + it->type_name() + ", not a string or a number");
    }
  }
}

bool RecordReader::next(std::vector<std::string>& fields, bool& complete) {
  complete = true;
  std::string line;
  if (format_ == FileFormat::kJsonl) {
    if (has_pending_) {
      has_pending_ = false;
      json_fields(pending_, fields);
      raw_ = std::move(pending_);
      return true;
    }
    do {
      if (!read(line)) return false;
    } while (line.find_first_not_of(" \t") == std::string::npos);
    line_ = next_line_;
    json_fields(line, fields);
    raw_ = std::move(line);
    return true;
  }
  // Blank lines between records are skipped, as the TSV readers always have.
  do {
    if (!read(line)) return false;
  } while (line.empty());
  line_ = next_line_;
  if (format_ == FileFormat::kTsv) {
    complete = split_record(line, quoting_, fields);
    raw_ = std::move(line);
    return true;
  }
  // csv: a quoted field may hold line breaks, so a record may take several lines. Only a line
  // with a quote can close the field: the record is split again after those alone, and a
  // record is at most 1 MiB (an unterminated quote would otherwise read the whole file).
  constexpr size_t kMaxRecordBytes = 1 << 20;
  while (!split_record(line, Quoting::kCsv, fields, ',')) {
    std::string more;
    do {
      if (!read(more)) fail_line(path_, line_, "unterminated quoted field at the end of the file");
      line += '\n';
      line += more;
      if (line.size() > kMaxRecordBytes)
        fail_line(path_, line_, "a quoted field runs over 1 MiB (an unterminated quote?)");
    } while (more.find('"') == std::string::npos);
  }
  raw_ = std::move(line);
  return true;
}

}  // namespace b2b
