#pragma once
// The student's word vocabulary: ids for words, with their training-set counts.
// Ids 0..2 are reserved: padding, unknown word and the augmentation mask.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace b2b {

class Vocabulary {
 public:
  static constexpr int64_t kPad = 0;
  static constexpr int64_t kUnk = 1;
  static constexpr int64_t kMask = 2;
  static constexpr const char* kPadToken = "[PAD]";
  static constexpr const char* kUnkToken = "[UNK]";
  static constexpr const char* kMaskToken = "[MASK]";

  Vocabulary();  // only the reserved entries

  // Words counted in `counts` kept when seen at least `min_count` times (most frequent first,
  // ties alphabetical, so the result does not depend on hash order). max_size 0 = no cap.
  static Vocabulary build(const std::unordered_map<std::string, int64_t>& counts,
                          int64_t min_count = 1, size_t max_size = 0);

  int64_t id(const std::string& word) const;  // kUnk when absent
  bool contains(const std::string& word) const { return index_.count(word) > 0; }
  const std::string& word(int64_t id) const { return words_.at(static_cast<size_t>(id)); }
  int64_t count(int64_t id) const { return counts_.at(static_cast<size_t>(id)); }
  size_t size() const { return words_.size(); }

  // File: one "word<TAB>count" line per id, in id order.
  void save(const std::string& path) const;
  static Vocabulary load(const std::string& path);

 private:
  int64_t add(const std::string& word, int64_t count);
  std::vector<std::string> words_;
  std::vector<int64_t> counts_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace b2b
