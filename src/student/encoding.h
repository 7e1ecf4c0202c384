#pragma once
// Texts to the student's word ids: BERT's basic tokenizer, then the vocabulary. Shared by
// training (student/batching.h) and the runtime, so both read a sentence the same way.
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "student/config.h"
#include "text/basic_tokenizer.h"
#include "text/vocabulary.h"

namespace b2b {

struct EncodedExample {
  std::vector<int64_t> a, b;  // word ids; b empty for single-sentence tasks
  int target = -1;            // gold label, else the teacher's argmax, else -1
  int gold = -1;              // gold label only
  std::vector<float> logits;  // the teacher's, when known
};

// The word tokenizer a trained student reads with: its config's case, [MASK] kept whole.
BasicTokenizer student_tokenizer(const StudentConfig& config);

// The word ids of one text. A text with no words becomes one [UNK], so every sequence has
// length >= 1; words past max_words (> 0) are dropped. `words` is scratch space (cleared).
std::vector<int64_t> encode_text(const std::string& text, const BasicTokenizer& tokenizer,
                                 const Vocabulary& vocab, std::vector<std::string>& words,
                                 size_t max_words = 0);

// One example: its word ids, gold label, and the teacher's logits and argmax when it has them.
EncodedExample encode_example(const Example& example, const BasicTokenizer& tokenizer,
                              const Vocabulary& vocab, bool pair, std::vector<std::string>& words);

std::vector<EncodedExample> encode_examples(const Dataset& data, const BasicTokenizer& tokenizer,
                                            const Vocabulary& vocab, bool pair);

}  // namespace b2b
