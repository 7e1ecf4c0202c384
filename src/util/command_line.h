#pragma once
// The command line a report records (report.json's "command") and reads back: one owner for
// its quoting. A word with anything outside a plain set is written in single quotes (a quote
// inside as '\''), as a POSIX shell takes it back.
#include <string>
#include <vector>

namespace b2b {

// `word` as one shell word: unchanged when plain, else in single quotes.
std::string shell_quote(const std::string& word);

// `command`'s words as a POSIX shell splits a line written by shell_quote (single quotes and
// backslash escapes; blanks separate words). Lines written before quoting was added split into
// more words, which joined by single spaces read as the quoted line's.
std::vector<std::string> shell_split(const std::string& command);

}  // namespace b2b
