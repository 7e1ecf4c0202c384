#pragma once
// Splitting delimited text records: plain TSV (GLUE ships it with no quoting: quotes are
// text) or CSV-style quoting with a tab delimiter ("" inside a quoted field).
#include <string>
#include <string_view>
#include <vector>

namespace b2b {

enum class Quoting { kNone, kCsv };

// Splits one record into fields. Returns false for an unterminated quoted field.
bool split_record(std::string_view line, Quoting quoting, std::vector<std::string>& fields,
                  char delimiter = '\t');

// Joins fields into one record line. Line breaks inside fields become spaces (records are
// lines); with kNone, tabs too; with kCsv, fields holding a tab or quote are quoted.
std::string join_record(const std::vector<std::string>& fields, Quoting quoting,
                        char delimiter = '\t');

// Reads a line without its "\n" or "\r\n"; false at end of input.
bool read_line(std::istream& in, std::string& line);

}  // namespace b2b
