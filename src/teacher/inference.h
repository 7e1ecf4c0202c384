#pragma once
// Teacher logits for many examples: WordPiece, batches of similar length, BERT forward.
#include <torch/torch.h>

#include <vector>

#include "data/dataset.h"
#include "teacher/teacher.h"
#include "util/progress.h"

namespace b2b {

struct TeacherRunOptions {
  size_t batch = 64;
  size_t max_length = 128;
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;  // bf16/fp16 on CUDA
};

// Parses --device; throws Error when CUDA is asked for but this libtorch has none.
torch::Device parse_device(const std::string& name);

// The WordPiece length a run uses: --max-length (at least [CLS], one token, [SEP]), cut to
// the model's position embeddings, beyond which the forward pass would index out of range.
size_t usable_max_length(size_t requested, const BertConfig& config);
// The same, with a warning when the model cuts it: for the start of a run.
size_t checked_max_length(size_t requested, const BertConfig& config);

// Checks --max-length (a warning when the model cuts it), then moves the teacher to the device
// and dtype of `options`. A zero --batch is refused by teacher_logits.
void prepare_teacher(Teacher& teacher, const TeacherRunOptions& options);

// Token ids, token types and attention mask of encodings[rows], padded to the longest (on CPU).
struct EncodedBatch {
  torch::Tensor ids, types, mask;
};
EncodedBatch pad_batch(const std::vector<Encoding>& encodings, const std::vector<size_t>& rows,
                       int64_t pad_id);

// (N, k) float32 logits on CPU for examples[begin, end), in that order.
torch::Tensor teacher_logits(Teacher& teacher, const std::vector<Example>& examples, size_t begin,
                             size_t end, bool pair, const TeacherRunOptions& options,
                             Progress* progress);

}  // namespace b2b
