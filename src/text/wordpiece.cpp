#include "text/wordpiece.h"

#include <utf8proc.h>

#include <algorithm>
#include <sstream>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

namespace {
const std::vector<std::string> kSpecialTokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
constexpr size_t kMaxCharsPerWord = 100;

size_t count_chars(const std::string& word) {
  size_t n = 0;
  for (unsigned char c : word) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

WordPieceTokenizer WordPieceTokenizer::from_vocab_file(const std::string& path, bool lower_case) {
  std::istringstream in(read_text_file(path));
  std::vector<std::string> vocab;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!is_valid_utf8(line)) fail_line(path, vocab.size() + 1, "invalid UTF-8");
    vocab.push_back(line);
  }
  if (vocab.empty()) fail_file(path, "empty vocabulary");
  return WordPieceTokenizer(std::move(vocab), lower_case, path);
}

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, bool lower_case,
                                       const std::string& source)
    : vocab_(std::move(vocab)), basic_(BasicTokenizerOptions{lower_case, kSpecialTokens}) {
  for (size_t i = 0; i < vocab_.size(); ++i) ids_.emplace(vocab_[i], static_cast<int64_t>(i));
  cls_ = require("[CLS]", source);
  sep_ = require("[SEP]", source);
  unk_ = require("[UNK]", source);
  pad_ = require("[PAD]", source);
}

int64_t WordPieceTokenizer::require(const std::string& token, const std::string& source) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) fail_file(source, "vocabulary has no " + token + " token");
  return it->second;
}

void WordPieceTokenizer::word_pieces(const std::string& word, std::vector<int64_t>& out) const {
  if (count_chars(word) > kMaxCharsPerWord) {
    out.push_back(unk_);
    return;
  }
  const size_t first = out.size();
  std::string piece;
  size_t start = 0;
  while (start < word.size()) {
    size_t end = word.size();
    int64_t found = -1;
    while (end > start) {
      piece.assign(start > 0 ? "##" : "");
      piece.append(word, start, end - start);
      const auto it = ids_.find(piece);
      if (it != ids_.end()) {
        found = it->second;
        break;
      }
      do {
        --end;  // step back one UTF-8 character
      } while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (found < 0) {  // some part has no piece: the whole word is unknown
      out.resize(first);
      out.push_back(unk_);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

std::vector<int64_t> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> words;
  basic_.tokenize(text, words);
  std::vector<int64_t> ids;
  for (const auto& word : words) {
    // Special-token strings in the text come back whole from the basic tokenizer.
    const bool special =
        word.size() > 2 && word.front() == '[' && word.back() == ']' &&
        std::find(kSpecialTokens.begin(), kSpecialTokens.end(), word) != kSpecialTokens.end();
    if (special) {
      ids.push_back(ids_.count(word) ? ids_.at(word) : unk_);
    } else {
      word_pieces(word, ids);
    }
  }
  return ids;
}

void truncate_longest_first(std::vector<int64_t>& a, std::vector<int64_t>& b, size_t budget) {
  if (a.size() + b.size() <= budget) return;
  size_t n1 = a.size(), n2 = b.size();
  const bool swapped = n1 > n2;
  if (swapped) std::swap(n1, n2);
  n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = budget / 2;
    n2 = n1 + budget % 2;
  }
  if (swapped) std::swap(n1, n2);
  a.resize(std::min(a.size(), n1));
  b.resize(std::min(b.size(), n2));
}

Encoding WordPieceTokenizer::encode(std::string_view a, std::optional<std::string_view> b,
                                    size_t max_length) const {
  std::vector<int64_t> first = tokenize(a), second;
  if (b) second = tokenize(*b);
  const size_t specials = b ? 3 : 2;
  if (max_length > 0) {
    const size_t budget = max_length > specials ? max_length - specials : 0;
    if (b) {
      truncate_longest_first(first, second, budget);
    } else if (first.size() > budget) {
      first.resize(budget);
    }
  }
  Encoding encoding;
  encoding.ids.reserve(first.size() + second.size() + specials);
  encoding.ids.push_back(cls_);
  encoding.ids.insert(encoding.ids.end(), first.begin(), first.end());
  encoding.ids.push_back(sep_);
  encoding.type_ids.assign(encoding.ids.size(), 0);
  if (b) {
    encoding.ids.insert(encoding.ids.end(), second.begin(), second.end());
    encoding.ids.push_back(sep_);
    encoding.type_ids.resize(encoding.ids.size(), 1);
  }
  return encoding;
}

}  // namespace b2b
