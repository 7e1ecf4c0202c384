#pragma once
// Turning examples into word ids and padded, length-bucketed batches.
#include <torch/torch.h>

#include <random>
#include <vector>

#include "data/dataset.h"
#include "text/basic_tokenizer.h"
#include "text/vocabulary.h"

namespace b2b {

struct EncodedExample {
  std::vector<int64_t> a, b;  // word ids; b empty for single-sentence tasks
  int target = -1;            // gold label, else the teacher's argmax, else -1
  int gold = -1;              // gold label only
  std::vector<float> logits;  // the teacher's, when known
};

// A sentence with no words becomes one [UNK] so every sequence has length >= 1.
std::vector<EncodedExample> encode_examples(const Dataset& data, const BasicTokenizer& tokenizer,
                                            const Vocabulary& vocab, bool pair);

struct Batch {
  torch::Tensor ids_a, lengths_a;  // (B, T) int64 padded with kPad; (B) int64 on CPU
  torch::Tensor ids_b, lengths_b;  // undefined for single-sentence tasks
  torch::Tensor targets;           // (B) int64, -1 where unknown
  torch::Tensor teacher_logits;    // (B, k) float, undefined when no logits
};

Batch collate(const std::vector<EncodedExample>& examples, const std::vector<size_t>& indices);

// Word dropout: replaces each word id of both sentences (not padding) by [UNK] with
// probability p, in place; p = 0 leaves the batch as it is.
void drop_words_to_unk(Batch& batch, double p);

// Training order: shuffled, then sorted by length inside pools of 50 batches so a batch
// holds similar lengths, then the batches shuffled. Deterministic for a given rng state.
std::vector<std::vector<size_t>> training_batches(const std::vector<EncodedExample>& examples,
                                                  size_t batch_size, std::mt19937_64& rng);
// Inference order: sorted by length (longest first), cut into batches.
std::vector<std::vector<size_t>> inference_batches(const std::vector<EncodedExample>& examples,
                                                   size_t batch_size);

}  // namespace b2b
