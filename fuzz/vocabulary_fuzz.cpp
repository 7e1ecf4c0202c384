// Vocabulary files: the student's vocab.txt ("word<TAB>count" lines) and BERT's vocab.txt
// (one token a line, the special tokens required).
#include "fuzz_util.h"
#include "text/vocabulary.h"
#include "text/wordpiece.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes = b2b::fuzz::as_view(data, size);
  const uint8_t selector = b2b::fuzz::take_selector(bytes);
  const std::string path = b2b::fuzz::input_file(bytes);
  try {
    if (selector & 1) {
      const auto tokenizer = b2b::WordPieceTokenizer::from_vocab_file(path, selector & 2);
      for (int64_t id : tokenizer.encode("the film, unbelievable!").ids) {
        if (id < 0 || id >= static_cast<int64_t>(tokenizer.vocab_size())) __builtin_trap();
      }
    } else {
      const b2b::Vocabulary vocab = b2b::Vocabulary::load(path);
      if (vocab.size() < 3 || vocab.id("[UNK]") != b2b::Vocabulary::kUnk) __builtin_trap();
      for (size_t i = 0; i < vocab.size(); ++i) {
        if (vocab.id(vocab.word(static_cast<int64_t>(i))) != static_cast<int64_t>(i))
          __builtin_trap();  // two ids for one word
      }
    }
  } catch (const b2b::Error&) {
  }
  return 0;
}
