#pragma once
// Pretrained word vectors: word2vec binary, word2vec text ("N D" header) and GloVe text
// (no header). Only the words a vocabulary needs are kept in memory.
#include <string>
#include <unordered_map>
#include <vector>

namespace b2b {

class Vocabulary;

enum class VectorsFormat { kAuto, kWord2VecBinary, kWord2VecText, kGloveText };

VectorsFormat parse_vectors_format(
    const std::string& name);  // auto|word2vec-bin|word2vec-text|glove

struct WordVectors {
  int64_t dim = 0;
  size_t total_words = 0;                                       // in the file
  std::unordered_map<std::string, std::vector<float>> vectors;  // the kept words
  VectorsFormat format = VectorsFormat::kAuto;                  // as detected
};

// Reads `path`, keeping the vectors of words in `vocab` (all when vocab is null).
WordVectors load_word_vectors(const std::string& path, VectorsFormat format,
                              const Vocabulary* vocab = nullptr);

}  // namespace b2b
