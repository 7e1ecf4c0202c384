#include "augment/transfer_set.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "data/dataset.h"
#include "data/transfer_set.h"
#include "text/basic_tokenizer.h"
#include "text/vocabulary.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/progress.h"

namespace b2b {

int default_n_iter(const TaskSpec& task) { return task.is_pair() ? 10 : 20; }

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs body(i) for i in [0, n) on `threads` threads, in contiguous blocks; the first worker
// draws the progress meter (Progress is not thread-safe).
template <typename F>
void parallel_for(size_t n, int threads, Progress& progress, F body) {
  const size_t workers = std::max<size_t>(1, std::min<size_t>(threads, n));
  std::atomic<int64_t> done{0};
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      int64_t reported = 0;
      for (size_t i = n * w / workers; i < n * (w + 1) / workers; ++i) {
        body(i);
        const int64_t now = done.fetch_add(1) + 1;
        if (w == 0 && (i & 255) == 0) {
          progress.add(now - reported);
          reported = now;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  progress.finish();
}

// Case and accents are kept for the tagger (trained on cased text); the student and the
// teacher normalize on their own.
TaggedWords tag_text(const std::string& text, const BasicTokenizer& tokenizer,
                     const PosTagger& tagger) {
  TaggedWords out;
  tokenizer.tokenize(text, out.words);
  out.tags = tagger.tag_ids(out.words);
  return out;
}

}  // namespace

AugmentSummary augment_file(const PosTagger& tagger, TaskSpec task, const std::string& input,
                            const std::string& output, const AugmentRunOptions& options) {
  const auto& o = options.augment;
  if (o.p_mask < 0 || o.p_pos < 0 || o.p_mask + o.p_pos > 1 || o.p_ng < 0 || o.p_ng > 1 ||
      o.n_iter < 0) {
    throw Error(
        "augment: probabilities must lie in [0, 1] with p_mask + p_pos <= 1, and n_iter >= 0");
  }
  ReadOptions read_options;
  read_options.discover_labels = true;
  read_options.format = options.input_format;
  const Dataset data = read_dataset(input, task, read_options);
  const size_t n = data.examples.size();
  AugmentSummary summary;
  summary.originals = n;

  auto start = Clock::now();
  const BasicTokenizer tokenizer(BasicTokenizerOptions{false, {Vocabulary::kMaskToken}});
  std::vector<TaggedWords> first(n), second(task.is_pair() ? n : 0);
  Progress tag_progress("tag", static_cast<int64_t>(n), "examples");
  parallel_for(n, options.threads, tag_progress, [&](size_t i) {
    first[i] = tag_text(data.examples[i].text_a, tokenizer, tagger);
    if (task.is_pair()) second[i] = tag_text(data.examples[i].text_b, tokenizer, tagger);
  });
  TagUnigrams unigrams(tagger.tags().size());
  for (size_t i = 0; i < n; ++i) {
    unigrams.add(first[i].words, first[i].tags);
    summary.words += first[i].words.size();
    if (task.is_pair()) unigrams.add(second[i].words, second[i].tags);
  }
  unigrams.finalize();
  summary.tag_seconds = seconds_since(start);

  start = Clock::now();
  std::vector<std::vector<AugmentedPair>> samples(n);
  Progress progress("augment", static_cast<int64_t>(n), "examples");
  parallel_for(n, options.threads, progress, [&](size_t i) {
    samples[i] = augment_example(first[i], task.is_pair() ? &second[i] : nullptr, unigrams, o, i);
  });
  summary.augment_seconds = seconds_since(start);

  start = Clock::now();
  AtomicFile file(output);
  std::ostream& out = file.stream();
  out << transfer_set_header(task);
  for (const Example& e : data.examples) out << transfer_set_row(task, e);
  Example sample;  // augmented rows have no label
  for (const auto& example_samples : samples) {
    for (const AugmentedPair& s : example_samples) {
      sample.text_a = s.a;
      sample.text_b = s.b;
      out << transfer_set_row(task, sample);
      ++summary.augmented;
    }
  }
  file.commit();
  summary.write_seconds = seconds_since(start);
  return summary;
}

}  // namespace b2b
