#pragma once
// The training set's unigram distribution within each POS tag, for the POS-guided
// replacement rule: a word seen 10 times with a tag is 10 times as likely as one seen once.
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace b2b {

class TagUnigrams {
 public:
  explicit TagUnigrams(size_t num_tags) : words_(num_tags), cumulative_(num_tags) {}
  // Counts every (word, tag) pair of the tagged sentences.
  void add(const std::vector<std::string>& words, const std::vector<int>& tags);
  // Call once after the last add(): sorts words and builds the cumulative counts.
  void finalize();

  // A word drawn for `tag` with a uniform u in [0, 1); empty when the tag was never seen.
  const std::string& sample(int tag, double u) const;
  const std::vector<std::pair<std::string, int64_t>>& words(int tag) const { return words_[tag]; }

 private:
  std::vector<std::vector<std::pair<std::string, int64_t>>> words_;  // per tag: (word, count)
  std::vector<std::vector<int64_t>> cumulative_;
  std::vector<std::unordered_map<std::string, int64_t>> counting_;
};

}  // namespace b2b
