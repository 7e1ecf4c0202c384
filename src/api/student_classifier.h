#pragma once
// The Classifier for a student directory, on the BLAS runtime. Besides the public API it gives
// the library's own front ends (eval, predict, serve, bench) the steps separately: encoding
// texts to word ids, and logits for encoded examples.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bert2bilstm/classifier.h"
#include "runtime/student_runtime.h"
#include "student/directory.h"
#include "student/encoding.h"

namespace b2b {

class StudentClassifier : public Classifier {
 public:
  StudentClassifier(const StudentDirectory& directory, const ClassifierOptions& options);
  // Reads the directory and builds the classifier; the load's temporary buffers (the whole
  // weights file, the word vectors once projected) are handed back to the system.
  static std::unique_ptr<StudentClassifier> load(const std::string& dir,
                                                 const ClassifierOptions& options);

  const StudentConfig& config() const { return runtime_.config(); }
  const Vocabulary& vocabulary() const { return vocab_; }
  const StudentRuntime& runtime() const { return runtime_; }
  const ClassifierOptions& options() const { return options_; }

  // Word ids as training made them (a text without words is one [UNK]), cut to max_words.
  std::vector<int64_t> encode(const std::string& text) const;
  // False for a text in which the tokenizer finds no word (empty, whitespace, control
  // characters): it is read as one [UNK], as in training, and front ends say so.
  bool has_words(const std::string& text) const;
  // Examples as eval and serve have them (text_b read for pair models only).
  std::vector<EncodedExample> encode(const std::vector<Example>& examples) const;

  // Logits (n x k) of encoded examples, in max_batch chunks over the options' threads;
  // `done` (optional) hears how many examples each finished chunk held.
  void logits(const std::vector<EncodedExample>& examples, float* out,
              const std::function<void(size_t)>& done = {}) const;

  std::string info_json() const override;

 protected:
  void compute_logits(const std::string* texts, const TextPair* pairs, size_t n,
                      float* out) const override;

 private:
  std::vector<int64_t> encode(const std::string& text, std::vector<std::string>& words) const;
  void cut_to_max_words(std::vector<int64_t>& ids) const;
  Vocabulary vocab_;
  BasicTokenizer tokenizer_;
  StudentRuntime runtime_;
  ClassifierOptions options_;
};

}  // namespace b2b
