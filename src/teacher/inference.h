#pragma once
// Teacher logits for many examples: WordPiece, batches of similar length, BERT forward.
#include <torch/torch.h>

#include <vector>

#include "data/dataset.h"
#include "teacher/cpu/precision.h"
#include "teacher/teacher.h"
#include "util/progress.h"

namespace b2b {

struct TeacherRunOptions {
  size_t batch = 64;
  size_t max_length = 128;
  torch::Device device = torch::kCPU;
  // On CPU: the engine's arithmetic (teacher/cpu/precision.h). On CUDA: fp32 or bf16 (the
  // model's dtype); int8 is CPU only.
  Precision precision = Precision::fp32;
};

// Parses --device; throws Error when CUDA is asked for but this libtorch has none.
torch::Device parse_device(const std::string& name);

// The WordPiece length a run uses: --max-length (at least [CLS], one token, [SEP]), cut to
// the model's position embeddings, beyond which the forward pass would index out of range.
size_t usable_max_length(size_t requested, const BertConfig& config);
// The same, with a warning when the model cuts it: for the start of a run.
size_t checked_max_length(size_t requested, const BertConfig& config);

// Checks --max-length (a warning when the model cuts it), then readies the teacher for
// inference: on CPU it builds the oneDNN engine at the precision this CPU runs (one warning
// line when it falls back to fp32), on CUDA it moves the model there. Returns the precision
// the logits are computed in, which labeled files record. A zero --batch is refused by
// teacher_logits.
Precision prepare_teacher(Teacher& teacher, const TeacherRunOptions& options);
// The precision prepare_teacher will compute in, without loading anything.
Precision effective_precision(const TeacherRunOptions& options);

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
