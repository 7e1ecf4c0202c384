#include "student/batching.h"

#include <algorithm>
#include <numeric>

#include "util/error.h"
#include "util/shuffle.h"

namespace b2b {

namespace {

size_t length_of(const EncodedExample& e) { return std::max(e.a.size(), e.b.size()); }

torch::Tensor pad(const std::vector<EncodedExample>& examples, const std::vector<size_t>& indices,
                  bool second, torch::Tensor& lengths) {
  const int64_t n = static_cast<int64_t>(indices.size());
  int64_t longest = 1;
  for (size_t i : indices)
    longest = std::max<int64_t>(longest, (second ? examples[i].b : examples[i].a).size());
  auto ids = torch::full({n, longest}, Vocabulary::kPad, torch::kInt64);
  lengths = torch::empty({n}, torch::kInt64);
  auto* id_data = ids.data_ptr<int64_t>();
  auto* length_data = lengths.data_ptr<int64_t>();
  for (int64_t r = 0; r < n; ++r) {
    const auto& seq = second ? examples[indices[r]].b : examples[indices[r]].a;
    std::copy(seq.begin(), seq.end(), id_data + r * longest);
    length_data[r] = static_cast<int64_t>(seq.size());
  }
  return ids;
}

}  // namespace

void drop_words_to_unk(Batch& batch, double p) {
  if (p <= 0) return;
  for (torch::Tensor* ids : {&batch.ids_a, &batch.ids_b}) {
    if (!ids->defined()) continue;
    ids->masked_fill_(torch::rand(ids->sizes()).lt(p).logical_and_(ids->ne(Vocabulary::kPad)),
                      Vocabulary::kUnk);
  }
}

Batch collate(const std::vector<EncodedExample>& examples, const std::vector<size_t>& indices) {
  Batch batch;
  batch.ids_a = pad(examples, indices, false, batch.lengths_a);
  if (!examples[indices[0]].b.empty()) batch.ids_b = pad(examples, indices, true, batch.lengths_b);
  batch.targets = torch::empty({static_cast<int64_t>(indices.size())}, torch::kInt64);
  auto* targets = batch.targets.data_ptr<int64_t>();
  batch.gold = torch::empty({static_cast<int64_t>(indices.size())}, torch::kInt64);
  auto* gold = batch.gold.data_ptr<int64_t>();
  for (size_t r = 0; r < indices.size(); ++r) {
    targets[r] = examples[indices[r]].target;
    gold[r] = examples[indices[r]].gold;
  }
  const size_t k = examples[indices[0]].logits.size();
  if (k > 0) {
    batch.teacher_logits =
        torch::empty({static_cast<int64_t>(indices.size()), static_cast<int64_t>(k)});
    auto* data = batch.teacher_logits.data_ptr<float>();
    for (size_t r = 0; r < indices.size(); ++r) {
      std::copy(examples[indices[r]].logits.begin(), examples[indices[r]].logits.end(),
                data + r * k);
    }
  }
  return batch;
}

std::vector<std::vector<size_t>> training_batches(const std::vector<EncodedExample>& examples,
                                                  size_t batch_size, std::mt19937_64& rng) {
  if (batch_size == 0) throw Error("--batch must be positive");
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  seeded_shuffle(order, rng);
  const size_t pool = batch_size * 50;
  std::vector<std::vector<size_t>> batches;
  for (size_t start = 0; start < order.size(); start += pool) {
    const auto begin = order.begin() + start;
    const auto end = order.begin() + std::min(order.size(), start + pool);
    std::stable_sort(begin, end, [&](size_t x, size_t y) {
      return length_of(examples[x]) < length_of(examples[y]);
    });
    for (auto it = begin; it < end; it += std::min<ptrdiff_t>(batch_size, end - it)) {
      batches.emplace_back(it, it + std::min<ptrdiff_t>(batch_size, end - it));
    }
  }
  seeded_shuffle(batches, rng);
  return batches;
}

std::vector<std::vector<size_t>> inference_batches(const std::vector<EncodedExample>& examples,
                                                   size_t batch_size) {
  if (batch_size == 0) throw Error("--batch must be positive");
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return length_of(examples[x]) > length_of(examples[y]);
  });
  std::vector<std::vector<size_t>> batches;
  for (size_t start = 0; start < order.size(); start += batch_size) {
    batches.emplace_back(order.begin() + start,
                         order.begin() + std::min(order.size(), start + batch_size));
  }
  return batches;
}

}  // namespace b2b
