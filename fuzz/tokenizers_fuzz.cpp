// BERT's basic tokenizer (the student's words) and WordPiece on arbitrary bytes: invalid
// UTF-8 raises b2b::Error; anything else gives tokens that are valid UTF-8, ids in range.
#include "fuzz_util.h"
#include "text/basic_tokenizer.h"
#include "text/wordpiece.h"
#include "util/error.h"
#include "util/utf8.h"

namespace {
const b2b::WordPieceTokenizer& wordpiece() {
  static const b2b::WordPieceTokenizer tokenizer = [] {
    const char* path = std::getenv("B2B_FUZZ_VOCAB");
    if (path) return b2b::WordPieceTokenizer::from_vocab_file(path);
    std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",   "the",
                                      "film",  "##s",   "good",  "un",    "##believ", "##able",
                                      ",",     ".",     "a",     "##b",   "é",        "中"};
    return b2b::WordPieceTokenizer(vocab, true, "fuzz vocabulary");
  }();
  return tokenizer;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes = b2b::fuzz::as_view(data, size);
  const uint8_t selector = b2b::fuzz::take_selector(bytes);
  try {
    b2b::BasicTokenizerOptions options;
    options.lower_case = selector & 1;
    const b2b::BasicTokenizer basic(options);
    for (const std::string& token : basic.tokenize(bytes)) {
      if (token.empty() || !b2b::is_valid_utf8(token)) __builtin_trap();
    }
  } catch (const b2b::Error&) {
  }
  try {
    const auto& tokenizer = wordpiece();
    const size_t half = bytes.size() / 2;
    const auto encoding =
        (selector & 2)
            ? tokenizer.encode(bytes.substr(0, half), bytes.substr(half), selector & 4 ? 16 : 0)
            : tokenizer.encode(bytes, std::nullopt, selector & 4 ? 16 : 0);
    for (int64_t id : encoding.ids) {
      if (id < 0 || id >= static_cast<int64_t>(tokenizer.vocab_size())) __builtin_trap();
    }
    if ((selector & 4) && encoding.ids.size() > 16) __builtin_trap();
  } catch (const b2b::Error&) {
  }
  return 0;
}
