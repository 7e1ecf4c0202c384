#include "pos/conllu.h"

#include <sstream>

#include "io/delimited.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

std::vector<TaggedSentence> read_conllu(const std::string& path) {
  std::istringstream in(read_text_file(path));
  std::vector<TaggedSentence> sentences;
  TaggedSentence current;
  std::string line;
  std::vector<std::string> fields;
  size_t line_number = 0;
  auto finish = [&] {
    if (!current.words.empty()) sentences.push_back(std::move(current));
    current = {};
  };
  while (read_line(in, line)) {
    ++line_number;
    if (line.empty()) {
      finish();
      continue;
    }
    if (line[0] == '#') continue;
    if (!is_valid_utf8(line)) fail_line(path, line_number, "invalid UTF-8");
    split_record(line, Quoting::kNone, fields);
    if (fields.size() != 10)
      fail_line(path, line_number, "expected 10 tab-separated CoNLL-U fields");
    if (fields[0].find_first_of("-.") != std::string::npos) continue;
    if (fields[4] == "_" || fields[4].empty()) fail_line(path, line_number, "word has no XPOS tag");
    current.words.push_back(fields[1]);
    current.tags.push_back(fields[4]);
  }
  finish();
  if (sentences.empty()) fail_file(path, "no sentences");
  return sentences;
}

}  // namespace b2b
