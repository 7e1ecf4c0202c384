#pragma once
// Reading CoNLL-U treebanks: the word forms and Penn Treebank tags (XPOS) of each sentence.
#include <string>
#include <vector>

namespace b2b {

struct TaggedSentence {
  std::vector<std::string> words, tags;
};

// Multiword-token lines (1-2) and empty nodes (1.1) are skipped; throws Error naming the file.
std::vector<TaggedSentence> read_conllu(const std::string& path);

}  // namespace b2b
