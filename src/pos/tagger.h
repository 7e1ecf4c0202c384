#pragma once
// Averaged-perceptron part-of-speech tagger (Collins 2002; the family of NLTK's default
// tagger), with a richer feature set than NLTK's: second-order tag history, prefixes and
// suffixes up to 4 characters, word shapes, and two words of context each side.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "pos/conllu.h"

namespace b2b {

struct TaggerTrainOptions {
  int iterations = 8;
  uint64_t seed = 1;
  // Words seen this often with one tag at least this share of the time are tagged directly.
  int64_t tagdict_min_count = 20;
  int64_t lexicon_min_count = 3;  // chosen on EWT dev among 1, 2, 3, 5
  double tagdict_min_share = 0.97;
};

class PosTagger {
 public:
  static PosTagger train(const std::vector<TaggedSentence>& sentences,
                         const TaggerTrainOptions& options,
                         const std::vector<TaggedSentence>* dev = nullptr);
  std::vector<std::string> tag(const std::vector<std::string>& words) const;
  // Tag ids (index into tags()) instead of names.
  std::vector<int> tag_ids(const std::vector<std::string>& words) const;
  const std::vector<std::string>& tags() const { return tags_; }

  // A compact binary file with a magic, a format version and bounds-checked reads.
  void save(const std::string& path) const;
  static PosTagger load(const std::string& path);

 private:
  struct Weights {
    std::vector<float> w;  // one per tag
  };
  int predict(const std::vector<uint64_t>& features) const;
  std::string_view ambiguity_class(const std::string& word) const;
  void features(const std::vector<std::string>& words, size_t i, int prev, int prev2,
                std::vector<uint64_t>& out) const;

  std::vector<std::string> tags_;
  std::unordered_map<std::string, int> tagdict_;
  // Ambiguity classes: the set of tags each training word (seen twice or more) carried.
  std::unordered_map<std::string, uint32_t> lexicon_;
  std::vector<std::string> classes_;
  std::unordered_map<uint64_t, Weights> weights_;
  friend class PerceptronTrainer;
};

struct TaggerAccuracy {
  size_t correct = 0, total = 0;
  std::vector<std::pair<std::string, size_t>> errors_by_tag;  // gold tag -> errors, most first
  double accuracy() const { return total ? static_cast<double>(correct) / total : 0; }
};
TaggerAccuracy evaluate_tagger(const PosTagger& tagger,
                               const std::vector<TaggedSentence>& sentences);

}  // namespace b2b
