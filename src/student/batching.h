#pragma once
// Turning examples into word ids and padded, length-bucketed batches.
#include <torch/torch.h>

#include <random>
#include <vector>

#include "student/encoding.h"

namespace b2b {

struct Batch {
  torch::Tensor ids_a, lengths_a;  // (B, T) int64 padded with kPad; (B) int64 on CPU
  torch::Tensor ids_b, lengths_b;  // undefined for single-sentence tasks
  torch::Tensor targets;           // (B) int64, -1 where unknown
  torch::Tensor gold;              // (B) int64 gold labels, -1 where the row has none
  torch::Tensor teacher_logits;    // (B, k) float, undefined when no logits
  // Training only: the dropout noise for the hidden layer, drawn before the forward pass
  // (StudentModelImpl::draw_dropout_noise) so that shards on several threads draw nothing
  // themselves; undefined = the model's dropout draws its own.
  torch::Tensor dropout_noise;
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
