#pragma once
// BERT's tokenizer, exactly as Hugging Face's BertTokenizer (tokenizers backend) encodes:
// basic tokenization with the special-token strings kept whole, then greedy
// longest-match-first WordPiece with "##" continuations, then [CLS] A [SEP] (B [SEP]).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/basic_tokenizer.h"

namespace b2b {

struct Encoding {
  std::vector<int64_t> ids;
  std::vector<int64_t> type_ids;  // segment ids: 0 for [CLS] A [SEP], 1 for B [SEP]
};

class WordPieceTokenizer {
 public:
  // Reads vocab.txt (one token a line, id = line number); throws Error naming the file.
  static WordPieceTokenizer from_vocab_file(const std::string& path, bool lower_case = true);
  WordPieceTokenizer(std::vector<std::string> vocab, bool lower_case, const std::string& source);

  // Word pieces of a text, without special tokens around it.
  std::vector<int64_t> tokenize(std::string_view text) const;
  // [CLS] a [SEP] or [CLS] a [SEP] b [SEP]; max_length (0 = none) counts the special tokens
  // and truncates longest-first as the tokenizers library does.
  Encoding encode(std::string_view a, std::optional<std::string_view> b = std::nullopt,
                  size_t max_length = 0) const;

  size_t vocab_size() const { return vocab_.size(); }
  int64_t pad_id() const { return pad_; }

 private:
  void word_pieces(const std::string& word, std::vector<int64_t>& out) const;
  int64_t require(const std::string& token, const std::string& source) const;

  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int64_t> ids_;
  BasicTokenizer basic_;
  int64_t cls_ = 0, sep_ = 0, unk_ = 0, pad_ = 0;
};

// Cuts the two sequences to fit `budget` tokens: the shorter keeps what it can (at least
// half), the longer takes the rest (tokenizers' LongestFirst).
void truncate_longest_first(std::vector<int64_t>& a, std::vector<int64_t>& b, size_t budget);

}  // namespace b2b
