#include "io/delimited.h"

#include <istream>

namespace b2b {

namespace {

void split_plain(std::string_view line, char delimiter, std::vector<std::string>& fields) {
  size_t start = 0;
  while (true) {
    const size_t end = line.find(delimiter, start);
    if (end == std::string_view::npos) {
      fields.emplace_back(line.substr(start));
      return;
    }
    fields.emplace_back(line.substr(start, end - start));
    start = end + 1;
  }
}

bool split_csv(std::string_view line, char delimiter, std::vector<std::string>& fields) {
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field += line[i++];
      }
      if (!closed) return false;
      // Text between the closing quote and the delimiter is kept, as Python's csv does.
      while (i < line.size() && line[i] != delimiter) field += line[i++];
    } else {
      while (i < line.size() && line[i] != delimiter) field += line[i++];
    }
    fields.push_back(field);
    if (i >= line.size()) return true;
    ++i;  // the delimiter
  }
}

}  // namespace

bool split_record(std::string_view line, Quoting quoting, std::vector<std::string>& fields,
                  char delimiter) {
  fields.clear();
  if (quoting == Quoting::kNone) {
    split_plain(line, delimiter, fields);
    return true;
  }
  return split_csv(line, delimiter, fields);
}

std::string join_record(const std::vector<std::string>& fields, Quoting quoting, char delimiter) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += delimiter;
    std::string field = fields[i];
    for (char& c : field) {
      if (c == '\n' || c == '\r' || (quoting == Quoting::kNone && c == delimiter)) c = ' ';
    }
    if (quoting == Quoting::kCsv &&
        (field.find(delimiter) != std::string::npos || field.find('"') != std::string::npos)) {
      std::string quoted = "\"";
      for (char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      field = quoted + "\"";
    }
    line += field;
  }
  return line;
}

bool read_line(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

}  // namespace b2b
