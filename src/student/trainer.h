#pragma once
// The student's training loop: alpha * CE + (1 - alpha) * MSE(logits) (or KL), per-epoch dev
// evaluation, best checkpoint kept, early stopping.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "student/batching.h"
#include "student/model.h"

namespace b2b {

struct TrainOptions {
  int epochs = 30;
  size_t batch_size = 50;
  std::string optimizer = "adadelta";  // adadelta | sgd | adam
  double lr = 1.0;
  double rho = 0.95;      // Adadelta
  double momentum = 0.9;  // SGD
  double weight_decay = 0;
  double alpha = 1.0;  // weight of the cross-entropy term; 0 = pure logit MSE (BiLSTM_SOFT)
  // Rows the cross-entropy term applies to. "all": every row, against its gold label, else
  // the teacher's argmax. "originals": rows with a gold label only (a transfer set's original
  // sentences); the other rows learn from the teacher's logits alone (the soft term, weight 1).
  std::string alpha_rows = "all";
  // The soft term: 0 = the MSE of the logits (the paper's); T > 0 = the KL divergence of the
  // student's probabilities at temperature T from the teacher's, times T^2.
  double kl_temperature = 0;
  double clip_norm = 0;  // 0 = no clipping
  // Probability of replacing a training word by [UNK]. With a vocabulary built from the
  // training words, [UNK] is otherwise never trained, yet every unseen word at test time
  // reads it (word dropout, Iyyer et al. 2015; not in the paper, so off by default).
  double word_dropout = 0;
  // Adadelta updates only the embedding rows a batch touched (exactly; optim/adadelta.h)
  // when nothing needs the whole gradient (no weight decay, no clipping).
  bool sparse_embedding_gradients = true;
  // Threads of one step: each runs the forward and backward of a slice of the batch
  // (student/sharded_step.h). 0 = libtorch's intra-op thread count (--threads).
  int workers = 0;
  int patience = 5;  // epochs without dev improvement before stopping; 0 = never stop
  uint64_t seed = 1;
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0, dev_accuracy = -1, seconds = 0;
};

struct TrainResult {
  std::vector<EpochRecord> history;
  int best_epoch = 0;
  double best_dev_accuracy = -1;
  nlohmann::json to_json() const;
};

// Called with the epoch number whenever the model is the best so far (every epoch when
// there is no dev set); the caller saves it.
using OnBest = std::function<void(int epoch, double dev_accuracy)>;

// Checks the options alone (ranges, names): before any work, even before reading the data.
void validate_train_options(const TrainOptions& options);
// Checks the options against the data: alpha < 1 needs teacher logits.
void validate_train_data(const TrainOptions& options, bool has_logits,
                         const std::string& train_path);

// One batch's loss, a mean over its rows: alpha * CE + (1 - alpha) * the soft term (the logit
// MSE, or KL at --kl-temperature), the CE on the rows alpha_rows names.
torch::Tensor distillation_loss(const torch::Tensor& logits, const Batch& batch,
                                const TrainOptions& options);

TrainResult train_student(StudentModel& model, const std::vector<EncodedExample>& train,
                          const std::vector<EncodedExample>& dev, const TrainOptions& options,
                          const OnBest& on_best);

// Accuracy of the model's argmax against gold labels (rows without one are ignored).
double accuracy(StudentModel& model, const std::vector<EncodedExample>& examples);

}  // namespace b2b
