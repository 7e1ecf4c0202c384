#pragma once
// Unlabeled text for the transfer set (`distill --unlabeled FILE`): texts the teacher labels
// for the student, from a user's own traffic, reviews or tickets. Read as a stream, never held
// whole, in one of two layouts told apart by the first line:
//
//   delimited  the first line is a header naming the task's text column (and, for a pair
//              task, its second text column), fields split as the task's files are (TAB, with
//              --quoting); other columns, a label among them, are ignored;
//   plain      anything else: one text a line, no header (single-sentence tasks only). A line
//              holding a TAB is an error: such a file wants a header.
//
// Texts are compared as the student reads them (BERT's basic tokenizer, lower-cased, tokens
// joined by spaces; a pair as its two texts): a text equal to a dev or test text is dropped (a
// dev or test sentence must never reach a student through the teacher), as is a repeat of an
// earlier one. Blank or whitespace-only texts are skipped and counted (a delimited file's empty
// lines are skipped as its task files' are, uncounted).
//
// Usage:
//   UnlabeledCollector collect(task, {"SST-2/dev.tsv", "SST-2/test.tsv"});
//   auto summary = collect.write({"imdb.txt"}, "unlabeled.tsv", {100000, 1});
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "data/dataset.h"

namespace b2b {

class BasicTokenizer;

// A text as the student reads it, hashed to 128 bits (a collision between two of a million
// texts has odds of about 1e-27): what deduplication compares.
struct TextKey {
  uint64_t high = 0, low = 0;
  bool operator==(const TextKey& other) const { return high == other.high && low == other.low; }
};
struct TextKeyHash {
  size_t operator()(const TextKey& key) const {
    return key.low ^ (key.high * 0x9E3779B97F4A7C15ULL);
  }
};
using TextKeySet = std::unordered_set<TextKey, TextKeyHash>;

class TextKeyer {
 public:
  TextKeyer();
  ~TextKeyer();
  TextKey key(const std::string& text_a, const std::string& text_b = "") const;
  // The tokens of `text` joined by spaces (empty for a blank text).
  std::string normalize(const std::string& text) const;

 private:
  std::unique_ptr<BasicTokenizer> tokenizer_;
};

// Reads one unlabeled file row by row. Throws Error naming the file (and line) for a missing
// or empty file, invalid UTF-8, a TAB in a plain file, a delimited row with the wrong number
// of fields, or a pair task's file without a header.
class UnlabeledReader {
 public:
  UnlabeledReader(const std::string& path, const TaskSpec& task);
  ~UnlabeledReader();
  // The next text (pair); false at the end. Blank texts are skipped and counted.
  bool next(Example& example);
  bool delimited() const { return delimited_ != nullptr; }
  size_t blank() const { return blank_; }
  size_t malformed() const;  // rows skipped on a skip_malformed_rows task

 private:
  struct Stream;
  std::unique_ptr<Stream> in_;                // a plain file
  std::unique_ptr<DatasetReader> delimited_;  // a delimited one
  std::string path_;
  TaskSpec task_;
  bool pending_first_ = false;
  size_t line_number_ = 0, blank_ = 0;
  std::string first_line_;
};

struct UnlabeledSourceCount {
  std::string path;
  bool delimited = false;
  size_t texts = 0;       // non-blank texts read
  size_t blank = 0;       // blank or whitespace-only rows skipped
  size_t malformed = 0;   // rows with the wrong number of fields skipped (QQP-style tasks)
  size_t held_out = 0;    // equal to a dev or test text: dropped
  size_t duplicates = 0;  // equal to an earlier text of these sources: dropped
  size_t kept = 0;        // distinct texts left
};

struct UnlabeledSummary {
  std::vector<UnlabeledSourceCount> sources;
  size_t distinct = 0;  // texts kept over all sources
  size_t written = 0;   // rows written: the whole sources' and the sample, or all of them
  size_t sample = 0;    // the sample asked for (0: all)
  size_t whole_sources = 0;
  uint64_t seed = 0;
  nlohmann::json to_json() const;
};

struct UnlabeledSampleOptions {
  size_t size = 0;  // 0: every distinct text
  uint64_t seed = 1;
  // The first this many sources are kept whole, outside the sample (distill's rest of train).
  size_t whole_sources = 0;
};

class UnlabeledCollector {
 public:
  // The texts of `held_out` files (dev, test: read through the task's text columns, labels
  // optional) are what no output row may equal.
  UnlabeledCollector(const TaskSpec& task, const std::vector<std::string>& held_out);
  // Streams `sources` in order and writes the distinct texts no held-out text equals, or (for
  // the sources after the first `options.whole_sources`) a seeded uniform sample of
  // `options.size` of them (reservoir sampling: memory holds the sample and one key per
  // distinct text, never a file), in the order read, as a transfer set without labels or
  // logits (data/transfer_set.h), atomically. Throws Error naming the file for bad input and
  // when no text is left.
  UnlabeledSummary write(const std::vector<std::string>& sources, const std::string& output,
                         const UnlabeledSampleOptions& options) const;

 private:
  TaskSpec task_;
  TextKeyer keyer_;
  TextKeySet held_out_;
};

// The student's training file: `labeled_transfer` (the gold rows and their augmentations,
// labeled; empty: none) and then the rows of `labeled_unlabeled` whose text no gold row of
// `gold` has (empty: no gold rows), written to `output` atomically, both streamed. Returns the
// rows dropped as equal to a gold text.
size_t join_transfer_sets(const TaskSpec& task, const std::string& gold,
                          const std::string& labeled_transfer, const std::string& labeled_unlabeled,
                          const std::string& output);

}  // namespace b2b
