#pragma once
// The transfer set file (DESIGN.md), one owner for its layout: the task's text columns, then
// `label` (empty on augmented rows), then, once the teacher has labeled it,
// logit_0..logit_{k-1}. `augment` writes it, `teacher label` writes the labeled one, distill
// samples it; read_dataset reads both. Fields are joined in the task's quoting.
#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace b2b {

// The header line (with its "\n"), with `num_logits` logit columns (0 before labeling).
std::string transfer_set_header(const TaskSpec& task, int64_t num_logits = 0);

// One row (with its "\n"): `example`'s texts, its label name (empty when label < 0) and
// `num_logits` logits, each printed so that it reads back as the same float.
std::string transfer_set_row(const TaskSpec& task, const Example& example,
                             const float* logits = nullptr, int64_t num_logits = 0);

// Rewrites `path` (atomically) with its first `originals` rows and a uniform sample of the
// others (seeded), `target` rows in all, in file order: the originals alone when `target`
// equals their number; nothing to do when the file holds no more than `target`. Throws
// Error naming the file, and leaves it as it was, when `target` is below `originals`.
void subsample_transfer_set(const std::string& path, size_t originals, size_t target,
                            uint64_t seed);

}  // namespace b2b
