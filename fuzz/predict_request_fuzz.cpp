// The server's /predict body parsing, for a single-sentence and a pair model: a body either
// gives examples within the limits or raises RequestError with a 4xx status.
#include "fuzz_util.h"
#include "serve/server.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes = b2b::fuzz::as_view(data, size);
  const uint8_t selector = b2b::fuzz::take_selector(bytes);
  static const b2b::TaskSpec single = b2b::parse_task("sst2");
  static const b2b::TaskSpec pair = b2b::parse_task("mnli");
  b2b::RequestLimits limits;
  limits.max_texts = 8;
  limits.max_text_bytes = 64;
  try {
    const b2b::PredictRequest request =
        b2b::parse_predict_request(std::string(bytes), (selector & 1) ? pair : single, limits);
    if (request.examples.empty() || request.examples.size() > limits.max_texts) __builtin_trap();
    if (!request.list && request.examples.size() != 1) __builtin_trap();
  } catch (const b2b::RequestError& e) {
    if (e.status < 400 || e.status > 499) __builtin_trap();
  }
  return 0;
}
