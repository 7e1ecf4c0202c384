// Pretrained word vectors: word2vec binary, word2vec text, GloVe text, and auto-detection,
// all words kept or only a small vocabulary's.
#include "fuzz_util.h"
#include "student/word_vectors.h"
#include "text/vocabulary.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes = b2b::fuzz::as_view(data, size);
  const uint8_t selector = b2b::fuzz::take_selector(bytes);
  static const b2b::VectorsFormat kFormats[] = {
      b2b::VectorsFormat::kAuto, b2b::VectorsFormat::kWord2VecBinary,
      b2b::VectorsFormat::kWord2VecText, b2b::VectorsFormat::kGloveText};
  static const b2b::Vocabulary vocab =
      b2b::Vocabulary::build({{"the", 3}, {"a", 2}, {"film", 1}, {"good", 1}});
  const std::string path = b2b::fuzz::input_file(bytes);
  try {
    const b2b::WordVectors vectors =
        b2b::load_word_vectors(path, kFormats[selector % 4], (selector & 4) ? &vocab : nullptr);
    for (const auto& [word, vector] : vectors.vectors) {
      if (static_cast<int64_t>(vector.size()) != vectors.dim) __builtin_trap();
    }
  } catch (const b2b::Error&) {
  }
  return 0;
}
