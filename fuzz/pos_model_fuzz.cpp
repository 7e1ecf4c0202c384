// The POS model file (`pos train`'s output); a model that loads must tag a sentence.
#include "fuzz_util.h"
#include "pos/tagger.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = b2b::fuzz::input_file(b2b::fuzz::as_view(data, size));
  try {
    const b2b::PosTagger tagger = b2b::PosTagger::load(path);
    const auto tags = tagger.tag({"the", "film", "is", "good", "."});
    if (tags.size() != 5) __builtin_trap();
  } catch (const b2b::Error&) {
  }
  return 0;
}
