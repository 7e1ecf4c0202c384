#pragma once
// bert2bilstm's public C++ API: load a distilled student and classify text with it.
//
//   #include <bert2bilstm/classifier.h>
//   auto model = b2b::Classifier::load("runs/distill/student");
//   b2b::Prediction p = model->classify("a gripping , beautifully acted film");
//   std::cout << model->labels()[p.label] << " " << p.probabilities[p.label] << "\n";
//
// A student directory holds config.json (task, label names, sizes), vocab.txt and
// model.safetensors, as `bert2bilstm student train` and `distill` write them. The classifier
// tokenizes as training did (BERT's basic tokenizer, lower-cased), maps words to ids (unknown
// words to [UNK]; a text with no words at all is read as one [UNK]; words past
// ClassifierOptions::max_words are dropped) and runs the BiLSTM on BLAS. Link with libbert2bilstm
// (CMake: find_package(bert2bilstm), target bert2bilstm::bert2bilstm; pkg-config: bert2bilstm);
// libtorch is not needed.
//
// Thread safety: a loaded Classifier is read-only. Any number of threads may call its const
// methods at the same time; each call uses its own scratch space.
//
// Errors: every failure (missing or damaged files, a pair model given single sentences,
// invalid UTF-8) throws b2b::Error with one line naming the file or the problem.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bert2bilstm/error.h"

namespace b2b {

// One classified example.
struct Prediction {
  int label = 0;                     // index into Classifier::labels()
  std::vector<float> probabilities;  // softmax of the logits
  std::vector<float> logits;
};

// A sentence pair, for pair models (entailment, paraphrase).
using TextPair = std::pair<std::string, std::string>;

struct ClassifierOptions {
  size_t max_batch = 512;  // examples per forward pass
  // Threads for a long list of examples: 1 computes on the calling thread only; N > 1 splits
  // the batches over N threads, each of which runs BLAS single-threaded.
  int threads = 1;
  // Precompute each vocabulary word's LSTM input projections at load (two thirds of a forward
  // pass's arithmetic is then a table lookup), for vocab x 8H floats of memory (77 MB for an SST-2
  // student of 16k words, H 150) instead of the word vectors' vocab x E. Skipped above 1 GiB.
  bool project_vocabulary = true;
  // Words read per text, the first ones (as BERT truncates to its maximum length): a text of
  // a megabyte costs no more than one of this many words. 0: no limit.
  size_t max_words = 512;
};

class Classifier {
 public:
  // Loads a student directory. Throws b2b::Error naming the file that is missing or bad.
  static std::unique_ptr<Classifier> load(const std::string& directory,
                                          const ClassifierOptions& options = {});
  virtual ~Classifier();

  // Label names in id order (Prediction::label indexes them).
  const std::vector<std::string>& labels() const { return labels_; }
  int num_labels() const { return static_cast<int>(labels_.size()); }
  // True for a model of sentence pairs (classify(TextPair) / classify(vector<TextPair>)).
  bool is_pair() const { return pair_; }
  // The task, as the --task string that reproduces it ("sst2", "tsv:...").
  const std::string& task() const { return task_; }
  // A description of the model as JSON text: task, labels, sizes, parameter counts.
  virtual std::string info_json() const = 0;

  Prediction classify(const std::string& text) const;
  Prediction classify(const TextPair& pair) const;
  std::vector<Prediction> classify(const std::vector<std::string>& texts) const;
  std::vector<Prediction> classify(const std::vector<TextPair>& pairs) const;

  // Logits only, row-major (n x num_labels()), rows in input order.
  std::vector<float> logits(const std::vector<std::string>& texts) const;
  std::vector<float> logits(const std::vector<TextPair>& pairs) const;

  // Argmax and softmax of one row of num_labels() logits.
  Prediction prediction(const float* logits) const;

 protected:
  Classifier(std::vector<std::string> labels, bool pair, std::string task);
  // Logits for `n` examples: single texts (pairs == nullptr) or pairs (texts == nullptr).
  // Both kinds are passed on; an implementation refuses the kind it cannot classify.
  virtual void compute_logits(const std::string* texts, const TextPair* pairs, size_t n,
                              float* out) const = 0;

 private:
  std::vector<std::string> labels_;
  bool pair_ = false;
  std::string task_;
};

// The library's version, "MAJOR.MINOR.PATCH".
const char* version();

}  // namespace b2b
