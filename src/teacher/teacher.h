#pragma once
// A Hugging Face BERT classifier directory loaded for inference: config.json, vocab.txt,
// model.safetensors (F32, F16 or BF16; computed in float32 on CPU).
#include <memory>
#include <string>

#include "teacher/bert_model.h"
#include "text/wordpiece.h"

namespace b2b {

namespace cpu {
class BertCpu;
}

struct Teacher {
  BertConfig config;
  WordPieceTokenizer tokenizer;
  BertClassifier model{nullptr};
  // The CPU inference engine (teacher/cpu/bert_cpu.h), built by prepare_teacher for a CPU run;
  // null for training and CUDA, where `model` runs.
  std::shared_ptr<cpu::BertCpu> cpu;
};

// Checks every tensor's presence, dtype and shape against config.json; throws Error naming
// the file. Checkpoints without pooler or classifier (MLM checkpoints) are refused unless
// `allow_missing_head`, which initializes them as transformers does.
Teacher load_teacher(const std::string& dir, bool allow_missing_head = false);

class SafetensorsFile;
// Copies a checkpoint's tensors into a model's parameters by name.
void load_bert_weights(BertClassifier& model, const SafetensorsFile& file, bool allow_missing_head);

}  // namespace b2b
