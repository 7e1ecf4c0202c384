#include "text/vocabulary.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

Vocabulary::Vocabulary() {
  add(kPadToken, 0);
  add(kUnkToken, 0);
  add(kMaskToken, 0);
}

int64_t Vocabulary::add(const std::string& word, int64_t count) {
  const auto [it, inserted] = index_.emplace(word, static_cast<int64_t>(words_.size()));
  if (inserted) {
    words_.push_back(word);
    counts_.push_back(count);
  }
  return it->second;
}

Vocabulary Vocabulary::build(const std::unordered_map<std::string, int64_t>& counts,
                             int64_t min_count, size_t max_size) {
  std::vector<std::pair<std::string, int64_t>> entries;
  for (const auto& [word, count] : counts) {
    if (count >= min_count) entries.emplace_back(word, count);
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  Vocabulary vocab;
  for (const auto& [word, count] : entries) {
    if (max_size > 0 && vocab.size() >= max_size) break;
    if (vocab.contains(word)) {
      vocab.counts_[static_cast<size_t>(vocab.id(word))] = count;
    } else {
      vocab.add(word, count);
    }
  }
  return vocab;
}

int64_t Vocabulary::id(const std::string& word) const {
  const auto it = index_.find(word);
  return it == index_.end() ? kUnk : it->second;
}

void Vocabulary::save(const std::string& path) const {
  AtomicFile file(path);
  for (size_t i = 0; i < words_.size(); ++i)
    file.stream() << words_[i] << '\t' << counts_[i] << '\n';
  file.commit();
}

Vocabulary Vocabulary::load(const std::string& path) {
  std::istringstream in(read_text_file(path));
  Vocabulary vocab;
  vocab.words_.clear();
  vocab.counts_.clear();
  vocab.index_.clear();
  std::string line;
  size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || tab == 0)
      fail_line(path, line_number, "expected word<TAB>count");
    if (!is_valid_utf8(line)) fail_line(path, line_number, "invalid UTF-8");
    int64_t count = 0;
    try {
      count = std::stoll(line.substr(tab + 1));
    } catch (const std::exception&) {
      fail_line(path, line_number, "count is not an integer");
    }
    const std::string word = line.substr(0, tab);
    if (vocab.contains(word)) fail_line(path, line_number, "duplicate word '" + word + "'");
    vocab.add(word, count);
  }
  if (vocab.size() < 3 || vocab.word(kPad) != kPadToken || vocab.word(kUnk) != kUnkToken ||
      vocab.word(kMask) != kMaskToken) {
    fail_file(path, "vocabulary must start with [PAD], [UNK], [MASK]");
  }
  return vocab;
}

}  // namespace b2b
