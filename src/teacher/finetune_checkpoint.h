#pragma once
// What fine-tuning writes: a teacher as a Hugging Face directory, and the resumable state of
// one learning rate's run (weights, optimizer, random generators and progress of its last
// finished epoch, committed together).
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

#include "teacher/finetune.h"

namespace b2b {

// The Hugging Face files of a teacher, written into an existing (staging) directory.
void write_teacher_files(const std::string& dir, const Teacher& teacher,
                         const std::string& vocab_path);

// What a learning rate's run has done. It is committed in one directory with the weights,
// optimizer state and random generators of its last finished epoch, so a killed run resumes
// exactly where an uninterrupted one would be.
struct RateProgress {
  int epoch = 0;  // the last finished one
  LearningRateResult result;
  nlohmann::json settings;  // what the run was started with; a rerun must match
};

// Replaces dir (atomically) with the state after progress.epoch.
void save_last_epoch(const std::string& dir, const Teacher& teacher, torch::optim::AdamW& optimizer,
                     const RateProgress& progress, const std::string& vocab_path,
                     torch::Device device);

RateProgress read_last_epoch(const std::string& dir, double lr);

// The optimizer state and random generators saved by save_last_epoch (the weights are loaded
// before the model moves to its device).
void restore_last_epoch(const std::string& dir, torch::optim::AdamW& optimizer,
                        torch::Device device);

}  // namespace b2b
