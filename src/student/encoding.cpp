#include "student/encoding.h"

#include <algorithm>

namespace b2b {

BasicTokenizer student_tokenizer(const StudentConfig& config) {
  return BasicTokenizer(BasicTokenizerOptions{config.lower_case, {Vocabulary::kMaskToken}});
}

std::vector<int64_t> encode_text(const std::string& text, const BasicTokenizer& tokenizer,
                                 const Vocabulary& vocab, std::vector<std::string>& words,
                                 size_t max_words) {
  words.clear();
  tokenizer.tokenize(text, words);
  std::vector<int64_t> ids;
  ids.reserve(std::max<size_t>(words.size(), 1));
  for (const auto& w : words) ids.push_back(vocab.id(w));
  if (ids.empty()) ids.push_back(Vocabulary::kUnk);
  if (max_words > 0 && ids.size() > max_words) ids.resize(max_words);
  return ids;
}

EncodedExample encode_example(const Example& example, const BasicTokenizer& tokenizer,
                              const Vocabulary& vocab, bool pair, std::vector<std::string>& words) {
  EncodedExample e;
  e.a = encode_text(example.text_a, tokenizer, vocab, words);
  if (pair) e.b = encode_text(example.text_b, tokenizer, vocab, words);
  e.gold = example.label;
  e.logits = example.logits;
  e.target = example.label;
  if (e.target < 0 && !e.logits.empty()) {
    e.target =
        static_cast<int>(std::max_element(e.logits.begin(), e.logits.end()) - e.logits.begin());
  }
  return e;
}

std::vector<EncodedExample> encode_examples(const Dataset& data, const BasicTokenizer& tokenizer,
                                            const Vocabulary& vocab, bool pair) {
  std::vector<EncodedExample> encoded;
  encoded.reserve(data.examples.size());
  std::vector<std::string> words;
  for (const Example& example : data.examples)
    encoded.push_back(encode_example(example, tokenizer, vocab, pair, words));
  return encoded;
}

}  // namespace b2b
