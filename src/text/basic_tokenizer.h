#pragma once
// BERT's basic tokenizer (the step before WordPiece), used as the student's word tokenizer:
// drop control characters, split out CJK characters, lowercase and strip accents, split on
// whitespace and punctuation. Special-token strings such as "[MASK]" are kept whole.
#include <string>
#include <string_view>
#include <vector>

namespace b2b {

struct BasicTokenizerOptions {
  bool lower_case = true;  // also strips accents, as BERT's uncased models do
  std::vector<std::string> never_split = {"[MASK]"};
};

class BasicTokenizer {
 public:
  explicit BasicTokenizer(BasicTokenizerOptions options = {});
  std::vector<std::string> tokenize(std::string_view text) const;
  // Appends to `tokens` (avoids an allocation per call on hot paths).
  void tokenize(std::string_view text, std::vector<std::string>& tokens) const;

 private:
  void tokenize_plain(std::string_view text, std::vector<std::string>& tokens) const;
  BasicTokenizerOptions options_;
};

// Character classes exactly as BERT's tokenizer defines them.
bool is_bert_whitespace(int32_t cp);
bool is_bert_control(int32_t cp);
bool is_bert_punctuation(int32_t cp);
bool is_cjk_character(int32_t cp);

}  // namespace b2b
