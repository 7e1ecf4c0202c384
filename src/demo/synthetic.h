#pragma once
// A built-in synthetic sentiment task for the demo: a small grammar with Penn POS tags,
// negation, intensifiers and "but" clauses, so that word order matters ("not bad" is
// positive, "good but dull" negative). Writes train/dev files, a CoNLL-U treebank for the tagger,
// and a config-only BERT directory for the teacher to be trained from scratch.
#include <cstdint>
#include <string>

namespace b2b {

struct SyntheticTaskOptions {
  size_t train = 3000, dev = 500, treebank = 1500, unlabeled = 10000;
  uint64_t seed = 1;
};

// Writes dir/data/{train,dev}.tsv (SST-2 layout), dir/data/unlabeled.txt (sentences without
// labels, one a line), dir/treebank.conllu and dir/teacher-config/{config.json,vocab.txt}.
void write_synthetic_task(const std::string& dir, const SyntheticTaskOptions& options);

}  // namespace b2b
