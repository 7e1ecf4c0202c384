// CoNLL-U treebanks (the POS tagger's training data).
#include "fuzz_util.h"
#include "pos/conllu.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = b2b::fuzz::input_file(b2b::fuzz::as_view(data, size));
  try {
    b2b::read_conllu(path);
  } catch (const b2b::Error&) {
  }
  return 0;
}
