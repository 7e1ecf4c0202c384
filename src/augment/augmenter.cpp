#include "augment/augmenter.h"

#include <unordered_set>

#include "text/vocabulary.h"

namespace b2b {

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += ' ';
    out += words[i];
  }
  return out;
}
}  // namespace

AugmentRng::AugmentRng(uint64_t seed, uint64_t example) : state_(seed) {
  uint64_t mix = seed ^ (example * 0xD1B54A32D192ED03ULL);
  state_ = splitmix64(mix);
}

double AugmentRng::uniform() { return static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53; }

uint64_t AugmentRng::below(uint64_t n) {
  // Rejection sampling keeps every value equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = splitmix64(state_);
  } while (x >= limit);
  return x % n;
}

std::vector<std::string> augment_sentence(const TaggedWords& sentence, const TagUnigrams& unigrams,
                                          const AugmentOptions& options, AugmentRng& rng,
                                          SampleTrace* trace) {
  const size_t n = sentence.words.size();
  std::vector<std::string> words = sentence.words;
  if (trace) trace->actions.assign(n, WordAction::kKeep);
  for (size_t i = 0; i < n; ++i) {
    const double x = rng.uniform();
    if (x < options.p_mask) {
      words[i] = Vocabulary::kMaskToken;
      if (trace) trace->actions[i] = WordAction::kMask;
    } else if (x < options.p_mask + options.p_pos) {
      const std::string& replacement = unigrams.sample(sentence.tags[i], rng.uniform());
      if (!replacement.empty()) words[i] = replacement;
      if (trace) trace->actions[i] = WordAction::kReplace;
    }
  }
  size_t start = 0, length = n;
  const bool ngram = rng.uniform() < options.p_ng;
  if (ngram) {
    const size_t k = 1 + rng.below(static_cast<uint64_t>(options.max_ngram));
    if (n > k) {  // a sentence of at most k words is kept whole
      start = rng.below(n - k + 1);
      length = k;
      words = std::vector<std::string>(words.begin() + start, words.begin() + start + k);
    }
  }
  if (trace) {
    trace->ngram = ngram;
    trace->ngram_start = start;
    trace->ngram_length = length;
  }
  return words;
}

namespace {

// A sample of one side, or the original text when the side is not augmented this iteration.
// Sets `all_replaced` when every kept word of an augmented side was masked or replaced.
std::string side(const TaggedWords& sentence, bool augment, const TagUnigrams& unigrams,
                 const AugmentOptions& options, AugmentRng& rng, SampleTrace& trace,
                 bool& all_replaced) {
  if (!augment) return join(sentence.words);
  const auto words = augment_sentence(sentence, unigrams, options, rng, &trace);
  bool every = !words.empty();
  for (size_t i = trace.ngram_start; i < trace.ngram_start + trace.ngram_length; ++i) {
    every = every && trace.actions[i] != WordAction::kKeep;
  }
  all_replaced = all_replaced || every;
  return join(words);
}

}  // namespace

std::vector<AugmentedPair> augment_example(const TaggedWords& a, const TaggedWords* b,
                                           const TagUnigrams& unigrams,
                                           const AugmentOptions& options, uint64_t example_index) {
  AugmentRng rng(options.seed, example_index);
  std::vector<AugmentedPair> samples;
  std::unordered_set<std::string> seen;
  const std::string original = join(a.words) + (b ? "\t" + join(b->words) : "");
  seen.insert(original);
  SampleTrace trace;
  for (int iteration = 0; iteration < options.n_iter; ++iteration) {
    AugmentedPair sample;
    if (b) sample.mode = static_cast<int>(rng.below(3));
    bool all_replaced = false;
    sample.a = side(a, sample.mode != 1, unigrams, options, rng, trace, all_replaced);
    if (b) sample.b = side(*b, sample.mode != 0, unigrams, options, rng, trace, all_replaced);
    if (all_replaced) continue;
    if (!seen.insert(sample.a + (b ? "\t" + sample.b : "")).second) continue;
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace b2b
