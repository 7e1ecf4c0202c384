#include "data/unlabeled.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "data/transfer_set.h"
#include "io/delimited.h"
#include "text/basic_tokenizer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

namespace {

uint64_t fnv1a(const std::string& text, uint64_t hash) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
}

}  // namespace

TextKeyer::TextKeyer()
    : tokenizer_(std::make_unique<BasicTokenizer>(BasicTokenizerOptions{true, {"[MASK]"}})) {}
TextKeyer::~TextKeyer() = default;

std::string TextKeyer::normalize(const std::string& text) const {
  std::string out;
  for (const auto& token : tokenizer_->tokenize(text)) (out += out.empty() ? "" : " ") += token;
  return out;
}

TextKey TextKeyer::key(const std::string& text_a, const std::string& text_b) const {
  // A pair is its two texts with a TAB between (no token holds one).
  const std::string text = normalize(text_a) + "\t" + normalize(text_b);
  // Two FNV-1a hashes of different offset bases: 128 bits, no dependency on std::hash.
  return {fnv1a(text, 0xcbf29ce484222325ULL), fnv1a(text, 0x84222325cbf29ce4ULL)};
}

struct UnlabeledReader::Stream {
  std::ifstream file;
};

UnlabeledReader::UnlabeledReader(const std::string& path, const TaskSpec& task)
    : in_(std::make_unique<Stream>()), path_(path), task_(task) {
  in_->file = open_input_file(path);
  if (!read_line(in_->file, first_line_)) fail_file(path, "empty file (no texts)");
  line_number_ = 1;
  strip_byte_order_mark(first_line_);
  if (!is_valid_utf8(first_line_)) fail_line(path, 1, "invalid UTF-8");
  std::vector<std::string> fields;
  const bool closed = split_record(first_line_, task.quoting, fields);
  auto names = [&](const std::string& column) {
    return std::find(fields.begin(), fields.end(), column) != fields.end();
  };
  if (closed && names(task.text_a) && (!task.is_pair() || names(task.text_b))) {
    // A task file without its labels: the task files' own reader, which ignores the rest.
    in_.reset();
    ReadOptions options;
    options.labels_required = false;
    delimited_ = std::make_unique<DatasetReader>(path, task, options);
    return;
  }
  if (task.is_pair()) {
    fail_file(path,
              "a pair task's unlabeled file is delimited: its first line must be a header "
              "naming the columns '" +
                  task.text_a + "' and '" + task.text_b + "'");
  }
  pending_first_ = true;  // a plain file: the first line is a text
}

UnlabeledReader::~UnlabeledReader() = default;

size_t UnlabeledReader::malformed() const {
  return delimited_ ? delimited_->skipped_malformed() : 0;
}

bool UnlabeledReader::next(Example& example) {
  if (delimited_) {
    std::string ignored_label;
    while (delimited_->next(example, ignored_label)) {
      if (!is_blank(example.text_a) && !(task_.is_pair() && is_blank(example.text_b))) return true;
      ++blank_;
    }
    return false;
  }
  std::string line;
  for (;;) {
    if (pending_first_) {
      line = std::move(first_line_);
      pending_first_ = false;
    } else {
      if (!read_line(in_->file, line)) {
        if (in_->file.bad()) fail_file(path_, "read error");
        return false;
      }
      ++line_number_;
      if (!is_valid_utf8(line)) fail_line(path_, line_number_, "invalid UTF-8");
    }
    if (is_blank(line)) {
      ++blank_;
      continue;
    }
    if (line.find('\t') != std::string::npos) {
      fail_line(path_, line_number_,
                "holds a TAB, but this file has one text a line (its first line names no "
                "column '" +
                    task_.text_a +
                    "'): a file with columns, such as a label, needs a header naming the text "
                    "column");
    }
    example.text_a = std::move(line);
    example.text_b.clear();
    example.logits.clear();
    return true;
  }
}

nlohmann::json UnlabeledSummary::to_json() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : sources) {
    list.push_back({{"path", s.path},
                    {"layout", s.delimited ? "delimited" : "plain"},
                    {"texts", s.texts},
                    {"blank", s.blank},
                    {"malformed", s.malformed},
                    {"held_out", s.held_out},
                    {"duplicates", s.duplicates},
                    {"kept", s.kept}});
  }
  return {{"sources", list},  {"distinct", distinct},           {"written", written},
          {"sample", sample}, {"whole_sources", whole_sources}, {"seed", seed}};
}

UnlabeledCollector::UnlabeledCollector(const TaskSpec& task,
                                       const std::vector<std::string>& held_out)
    : task_(task) {
  for (const auto& path : held_out) {
    TaskSpec own = task;
    ReadOptions options;  // texts are what counts: labels optional, any names
    options.labels_required = false;
    options.discover_labels = true;
    for (const Example& e : read_dataset(path, own, options).examples)
      held_out_.insert(keyer_.key(e.text_a, e.text_b));
  }
}

UnlabeledSummary UnlabeledCollector::write(const std::vector<std::string>& sources,
                                           const std::string& output,
                                           const UnlabeledSampleOptions& options) const {
  UnlabeledSummary summary;
  summary.sample = options.size;
  summary.seed = options.seed;
  summary.whole_sources = options.whole_sources;
  // Opened first so that a source's error leaves nothing behind (the destructor removes it).
  AtomicFile file(output);
  file.stream() << transfer_set_header(task_);
  TextKeySet seen;
  std::mt19937_64 rng(options.seed);
  std::vector<std::pair<size_t, Example>> reservoir;  // (order read, text) when sampling
  size_t sampled = 0, whole = 0;                      // texts offered to the sample; kept whole
  Example example;
  for (size_t source = 0; source < sources.size(); ++source) {
    const std::string& path = sources[source];
    const bool keep_whole = options.size == 0 || source < options.whole_sources;
    UnlabeledReader reader(path, task_);
    UnlabeledSourceCount count;
    count.path = path;
    count.delimited = reader.delimited();
    while (reader.next(example)) {
      ++count.texts;
      const TextKey key = keyer_.key(example.text_a, example.text_b);
      if (held_out_.count(key)) {
        ++count.held_out;
        continue;
      }
      if (!seen.insert(key).second) {
        ++count.duplicates;
        continue;
      }
      ++count.kept;
      ++summary.distinct;
      if (keep_whole) {
        file.stream() << transfer_set_row(task_, example);
        ++whole;
        continue;
      }
      const size_t index = sampled++;
      if (reservoir.size() < options.size) {
        reservoir.emplace_back(index, example);
      } else {
        const size_t slot = rng() % (index + 1);  // Algorithm R: each kept with odds size/n
        if (slot < options.size) reservoir[slot] = {index, example};
      }
    }
    count.blank = reader.blank();
    count.malformed = reader.malformed();
    if (count.texts == 0) fail_file(path, "holds no text (only blank lines)");
    summary.sources.push_back(count);
  }
  if (summary.distinct == 0) {
    fail_file(sources.empty() ? output : sources.front(),
              "no text is left once those equal to a dev or test text and repeats are dropped");
  }
  std::sort(reservoir.begin(), reservoir.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [index, text] : reservoir) file.stream() << transfer_set_row(task_, text);
  summary.written = whole + reservoir.size();
  file.commit();
  return summary;
}

size_t join_transfer_sets(const TaskSpec& task, const std::string& gold,
                          const std::string& labeled_transfer, const std::string& labeled_unlabeled,
                          const std::string& output) {
  const TextKeyer keyer;
  TextKeySet gold_keys;
  if (!gold.empty()) {
    TaskSpec own = task;
    for (const Example& e : read_dataset(gold, own).examples)
      gold_keys.insert(keyer.key(e.text_a, e.text_b));
  }
  AtomicFile file(output);
  std::ifstream unlabeled(labeled_unlabeled, std::ios::binary);
  std::string header, line;
  if (!unlabeled || !read_line(unlabeled, header))
    fail_file(labeled_unlabeled, "cannot read (no header line)");
  if (!labeled_transfer.empty()) {
    std::ifstream transfer(labeled_transfer, std::ios::binary);
    std::string own_header;
    if (!transfer || !read_line(transfer, own_header))
      fail_file(labeled_transfer, "cannot read (no header line)");
    if (own_header != header)
      fail_file(labeled_unlabeled, "has another header than " + labeled_transfer);
    file.stream() << own_header << '\n';
    // (streaming an empty rdbuf would set the output's failbit)
    if (transfer.peek() != std::ifstream::traits_type::eof()) file.stream() << transfer.rdbuf();
  } else {
    file.stream() << header << '\n';
  }
  // Rows are ours (data/transfer_set.h): the texts come first.
  std::vector<std::string> fields;
  size_t dropped = 0, line_number = 1;
  while (read_line(unlabeled, line)) {
    ++line_number;
    if (line.empty()) continue;
    if (!split_record(line, task.quoting, fields) || fields.size() < (task.is_pair() ? 3u : 2u))
      fail_line(labeled_unlabeled, line_number, "not a row of a labeled transfer set");
    if (gold_keys.count(keyer.key(fields[0], task.is_pair() ? fields[1] : ""))) {
      ++dropped;
      continue;
    }
    file.stream() << line << '\n';
  }
  file.commit();
  return dropped;
}

}  // namespace b2b
