#include "api/student_classifier.h"

#include <malloc.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>

#include "runtime/parallel.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

StudentClassifier::StudentClassifier(const StudentDirectory& directory,
                                     const ClassifierOptions& options)
    : Classifier(directory.config.task.labels, directory.config.task.is_pair(),
                 directory.config.task.describe()),
      vocab_(directory.vocab),
      tokenizer_(student_tokenizer(directory.config)),
      runtime_(directory.config, *directory.weights,
               RuntimeOptions{options.project_vocabulary, RuntimeOptions{}.max_projection_bytes}),
      options_(options) {
  if (options_.max_batch == 0) throw Error("max_batch must be positive");
}

std::unique_ptr<StudentClassifier> StudentClassifier::load(const std::string& dir,
                                                           const ClassifierOptions& options) {
  auto model = std::make_unique<StudentClassifier>(read_student_directory(dir), options);
  malloc_trim(0);  // glibc keeps large freed blocks in the heap otherwise
  return model;
}

bool StudentClassifier::has_words(const std::string& text) const {
  return !tokenizer_.tokenize(text).empty();
}

std::vector<int64_t> StudentClassifier::encode(const std::string& text) const {
  std::vector<std::string> words;
  return encode(text, words);
}

std::vector<int64_t> StudentClassifier::encode(const std::string& text,
                                               std::vector<std::string>& words) const {
  return encode_text(text, tokenizer_, vocab_, words, options_.max_words);
}

void StudentClassifier::cut_to_max_words(std::vector<int64_t>& ids) const {
  if (options_.max_words > 0 && ids.size() > options_.max_words) ids.resize(options_.max_words);
}

std::vector<EncodedExample> StudentClassifier::encode(const std::vector<Example>& examples) const {
  // Split over the threads too: tokenizing is a tenth of the work of classifying.
  std::vector<EncodedExample> encoded(examples.size());
  const size_t threads = static_cast<size_t>(std::max(1, options_.threads));
  for_each_chunk(examples.size(), (examples.size() + threads - 1) / threads, options_.threads,
                 [&](size_t begin, size_t end) {
                   std::vector<std::string> words;
                   for (size_t i = begin; i < end; ++i) {
                     encoded[i] = encode_example(examples[i], tokenizer_, vocab_, is_pair(), words);
                     cut_to_max_words(encoded[i].a);
                     cut_to_max_words(encoded[i].b);
                   }
                 });
  return encoded;
}

void StudentClassifier::logits(const std::vector<EncodedExample>& examples, float* out,
                               const std::function<void(size_t)>& done) const {
  const size_t k = static_cast<size_t>(num_labels());
  // Longest first, so that each forward pass holds sequences of similar lengths.
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return std::max(examples[x].a.size(), examples[x].b.size()) >
           std::max(examples[y].a.size(), examples[y].b.size());
  });
  // Forward passes of at most max_batch examples. With many of them, consecutive slices of
  // that order (similar lengths in each); with fewer than a few per thread, every C-th example
  // of it, so that each thread gets the same mix of long and short ones.
  const size_t n = examples.size(), threads = static_cast<size_t>(std::max(1, options_.threads));
  size_t chunks = (n + options_.max_batch - 1) / options_.max_batch;
  const bool interleave = threads > 1 && chunks < 4 * threads;
  if (interleave) chunks = std::min(n, std::max(chunks, threads));
  for_each_chunk(chunks, 1, options_.threads, [&](size_t chunk, size_t) {
    std::vector<size_t> rows;
    if (interleave) {
      for (size_t i = chunk; i < n; i += chunks) rows.push_back(order[i]);
    } else {
      for (size_t i = chunk * options_.max_batch; i < std::min(n, (chunk + 1) * options_.max_batch);
           ++i)
        rows.push_back(order[i]);
    }
    std::vector<const std::vector<int64_t>*> a, b;
    for (size_t row : rows) {
      a.push_back(&examples[row].a);
      if (is_pair()) b.push_back(&examples[row].b);
    }
    std::vector<float> logits(rows.size() * k);
    runtime_.logits(a, b, logits.data());
    for (size_t i = 0; i < rows.size(); ++i)
      std::copy_n(logits.data() + i * k, k, out + rows[i] * k);
    if (done) done(rows.size());
  });
}

void StudentClassifier::compute_logits(const std::string* texts, const TextPair* pairs, size_t n,
                                       float* out) const {
  if (is_pair() && !pairs)
    throw Error("this model classifies sentence pairs: give (text_a, text_b) pairs");
  if (!is_pair() && pairs) throw Error("this model classifies single sentences, not pairs");
  std::vector<EncodedExample> examples(n);
  std::vector<std::string> words;
  for (size_t i = 0; i < n; ++i) {
    const std::string& a = texts ? texts[i] : pairs[i].first;
    if (!is_valid_utf8(a) || (pairs && !is_valid_utf8(pairs[i].second)))
      throw Error("text " + std::to_string(i) + " is not valid UTF-8");
    examples[i].a = encode(a, words);
    if (pairs) examples[i].b = encode(pairs[i].second, words);
  }
  logits(examples, out);
}

std::string StudentClassifier::info_json() const {
  const StudentConfig& c = config();
  const nlohmann::json info = {{"model_type", "bert2bilstm-student"},
                               {"task", c.task.describe()},
                               {"labels", c.task.labels},
                               {"pair", c.task.is_pair()},
                               {"embedding_mode", embedding_mode_name(c.embedding_mode)},
                               {"vocabulary", c.vocab_size},
                               {"embedding_dim", c.embedding_dim},
                               {"hidden", c.hidden_size},
                               {"fc", c.fc_size},
                               {"parameters", runtime_.parameters(true)},
                               {"parameters_without_embeddings", runtime_.parameters(false)}};
  return info.dump();
}

}  // namespace b2b
