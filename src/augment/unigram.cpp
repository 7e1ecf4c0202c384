#include "augment/unigram.h"

#include <algorithm>

namespace b2b {

void TagUnigrams::add(const std::vector<std::string>& words, const std::vector<int>& tags) {
  if (counting_.empty()) counting_.resize(words_.size());
  for (size_t i = 0; i < words.size(); ++i) ++counting_[tags[i]][words[i]];
}

void TagUnigrams::finalize() {
  counting_.resize(words_.size());
  for (size_t t = 0; t < words_.size(); ++t) {
    words_[t].assign(counting_[t].begin(), counting_[t].end());
    std::sort(words_[t].begin(), words_[t].end());  // independent of hash order
    cumulative_[t].clear();
    int64_t total = 0;
    for (const auto& [word, count] : words_[t]) cumulative_[t].push_back(total += count);
  }
  counting_.clear();
}

const std::string& TagUnigrams::sample(int tag, double u) const {
  static const std::string empty;
  const auto& cumulative = cumulative_[tag];
  if (cumulative.empty()) return empty;
  const auto target = static_cast<int64_t>(u * static_cast<double>(cumulative.back()));
  const size_t i =
      std::upper_bound(cumulative.begin(), cumulative.end(), target) - cumulative.begin();
  return words_[tag][std::min(i, cumulative.size() - 1)].first;
}

}  // namespace b2b
