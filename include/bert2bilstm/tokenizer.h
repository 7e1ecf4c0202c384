#pragma once
// The student's tokenizer: texts to the word ids a student reads, for running the exported ONNX
// model (or anything else fed a student's ids) without the Classifier.
//
//   #include <bert2bilstm/tokenizer.h>
//   auto tokenizer = b2b::Tokenizer::load("runs/distill/student");  // config.json, vocab.txt
//   std::vector<int64_t> ids = tokenizer->encode("a gripping , beautifully acted film");
//
// It reads a text exactly as b2b::Classifier does: BERT's basic tokenizer (lower-cased when the
// student was trained so), each word its line number in vocab.txt, unknown words kUnkId, a text
// with no words one kUnkId, words past max_words dropped. The exported ONNX model takes these
// ids as `input_ids` (int64, padded with kPadId to the longest row) with `lengths` (int32, each
// row's id count); a pair model also `input_ids_b` and `lengths_b` for the second texts.
//
// Thread safety: read-only once loaded; any number of threads may call its methods at once.
// Errors: throws b2b::Error with one line naming the file (missing or bad config.json or
// vocab.txt) or the problem (a text that is not valid UTF-8).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bert2bilstm/error.h"

namespace b2b {

class Tokenizer {
 public:
  static constexpr int64_t kPadId = 0;  // [PAD], the ONNX model's padding
  static constexpr int64_t kUnkId = 1;  // [UNK]

  // Reads a student directory's config.json and vocab.txt (not its weights). max_words 0: no
  // limit; the default is the Classifier's.
  static std::unique_ptr<Tokenizer> load(const std::string& directory, size_t max_words = 512);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // The word ids of one text (at least one).
  std::vector<int64_t> encode(const std::string& text) const;
  // The words the tokenizer reads in a text, before the vocabulary (lower-cased when the
  // student is; not cut to max_words).
  std::vector<std::string> words(const std::string& text) const;
  // vocab.txt's words in id order.
  size_t vocab_size() const;
  const std::string& word(int64_t id) const;  // throws b2b::Error for an id out of range
  // True for a student of sentence pairs (encode each text of a pair on its own).
  bool is_pair() const;
  size_t max_words() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace b2b
