#pragma once
// Fisher-Yates with our own draws: std::shuffle's output differs between standard
// libraries, and every seeded order in the pipeline must be reproducible.
#include <random>
#include <utility>
#include <vector>

namespace b2b {

template <typename T>
void seeded_shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng() % i]);
}

}  // namespace b2b
