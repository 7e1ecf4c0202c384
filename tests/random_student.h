#pragma once
// A student directory with random weights, written without libtorch (the parameter names and
// shapes the libtorch model saves): for tests of the runtime, the library and the server that
// need a model but not a trained one.
#include <cstdint>
#include <string>

#include "student/config.h"

namespace b2b::test {

// Writes config.json (SST-2, or MNLI when `pair`; embeddings 12, hidden 8, fc 6), vocab.txt
// (good, bad, film, a) and model.safetensors under `dir`.
void write_random_student(const std::string& dir, bool pair, EmbeddingMode mode, uint32_t seed = 1);

}  // namespace b2b::test
