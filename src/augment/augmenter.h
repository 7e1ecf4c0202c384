#pragma once
// The paper's data augmentation (METHOD.md section 4): per word, mask or POS-guided
// replacement (exclusive), then n-gram sampling; n_iter samples per example, duplicates and
// fully replaced samples dropped; pair tasks augment the first, second or both sentences.
#include <cstdint>
#include <string>
#include <vector>

#include "augment/unigram.h"

namespace b2b {

struct AugmentOptions {
  double p_mask = 0.1;
  double p_pos = 0.1;
  double p_ng = 0.25;
  int n_iter = 20;
  int max_ngram = 5;
  uint64_t seed = 1;
};

// A word-tokenized, tagged sentence.
struct TaggedWords {
  std::vector<std::string> words;
  std::vector<int> tags;
};

enum class WordAction : uint8_t { kKeep, kMask, kReplace };

// What one sample did, for tests and statistics.
struct SampleTrace {
  std::vector<WordAction> actions;  // per original word
  bool ngram = false;
  size_t ngram_start = 0, ngram_length = 0;  // the kept window (the whole sentence if no n-gram)
};

// The per-example random stream: a generator seeded from (seed, example index), so output
// does not depend on the thread count.
class AugmentRng {
 public:
  AugmentRng(uint64_t seed, uint64_t example);
  double uniform();            // [0, 1)
  uint64_t below(uint64_t n);  // {0..n-1}
 private:
  uint64_t state_;
};

// One augmented sample of a sentence. Fills `trace` when given.
std::vector<std::string> augment_sentence(const TaggedWords& sentence, const TagUnigrams& unigrams,
                                          const AugmentOptions& options, AugmentRng& rng,
                                          SampleTrace* trace);

struct AugmentedPair {
  std::string a, b;  // texts (words joined by spaces); b empty for single-sentence tasks
  int mode = 0;      // pairs: 0 first sentence augmented, 1 second, 2 both
  bool operator==(const AugmentedPair& o) const { return a == o.a && b == o.b && mode == o.mode; }
};

// n_iter samples of one example, without duplicates, without copies of the original and
// without samples in which every kept word was replaced.
std::vector<AugmentedPair> augment_example(const TaggedWords& a, const TaggedWords* b,
                                           const TagUnigrams& unigrams,
                                           const AugmentOptions& options, uint64_t example_index);

}  // namespace b2b
