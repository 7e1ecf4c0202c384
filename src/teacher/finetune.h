#pragma once
// Teacher fine-tuning (METHOD.md section 1): AdamW with linear warm-up and decay, dropout
// from config.json, gradient clipping; one run per learning rate, the best on dev kept and
// written as a Hugging Face directory that transformers' from_pretrained loads.
#include <string>
#include <vector>

#include "data/task.h"
#include "io/records.h"
#include "teacher/inference.h"

namespace b2b {

struct FinetuneOptions {
  std::vector<double> learning_rates = {2e-5, 3e-5, 4e-5, 5e-5};
  int epochs = 3;
  size_t batch = 32;
  size_t max_length = 128;
  double warmup = 0.1;  // share of the steps
  double weight_decay = 0.01;
  double clip_norm = 1.0;
  uint64_t seed = 1;
  torch::Device device = torch::kCPU;
  bool bf16 = false;
  bool reinit_classifier = false;
  bool random_init =
      false;  // a config-only directory: initialize every weight as transformers does
  FileFormat format = FileFormat::kTsv;  // how the train and dev files are written
};

struct LearningRateResult {
  double lr = 0, best_dev_accuracy = 0;
  int best_epoch = 0;
};

struct FinetuneResult {
  std::vector<LearningRateResult> runs;
  LearningRateResult best;
  bool wrote_output = true;  // false in data-parallel processes other than rank 0
};

std::vector<double> parse_learning_rates(const std::string& text);  // "2e-5,3e-5"

// Writes the best model to out_dir (config.json with id2label/label2id, vocab.txt,
// tokenizer_config.json, model.safetensors). Finished epochs are kept in out_dir.work/ so a
// rerun resumes after the last one. Launched as several processes (RANK and WORLD_SIZE, or
// srun's SLURM_PROCID and SLURM_NTASKS; teacher/data_parallel.h), each computes its slice of
// every global batch and rank 0 writes; the steps are a single process's on the same batches.
FinetuneResult finetune_teacher(const std::string& model_dir, TaskSpec task,
                                const std::string& train_path, const std::string& dev_path,
                                const std::string& out_dir, const FinetuneOptions& options);

// Saves a teacher as a Hugging Face BertForSequenceClassification directory.
void save_teacher(const std::string& dir, const Teacher& teacher, const std::string& vocab_path);

}  // namespace b2b
