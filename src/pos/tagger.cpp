#include "pos/tagger.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <random>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/shuffle.h"

namespace b2b {

namespace {

constexpr char kMagic[8] = {'B', '2', 'B', 'P', 'O', 'S', '\0', '\0'};
constexpr uint32_t kFormatVersion = 1;

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// One feature: a template id and up to two string values.
uint64_t feature(uint8_t kind, std::string_view a, std::string_view b = {}) {
  uint64_t h = (14695981039346656037ULL ^ kind) * 1099511628211ULL;
  h = fnv1a(h, a);
  h = (h ^ 0x1f) * 1099511628211ULL;
  return fnv1a(h, b);
}

std::string normalize(const std::string& word) {
  if (word.find('-') != std::string::npos && word[0] != '-') return "!HYPHEN";
  const bool digits = !word.empty() && std::all_of(word.begin(), word.end(),
                                                   [](unsigned char c) { return std::isdigit(c); });
  if (digits && word.size() == 4) return "!YEAR";
  if (!word.empty() && std::isdigit(static_cast<unsigned char>(word[0]))) return "!DIGITS";
  std::string lower = word;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// "Xxxx" -> "Xx", "1990s" -> "dx": character classes with repeats collapsed.
std::string shape(const std::string& word) {
  std::string out;
  for (unsigned char c : word) {
    const char k = std::isupper(c)   ? 'X'
                   : std::islower(c) ? 'x'
                   : std::isdigit(c) ? 'd'
                   : c >= 0x80       ? 'u'
                                     : static_cast<char>(c);
    if (out.empty() || out.back() != k) out += k;
  }
  return out;
}

std::string_view suffix(std::string_view w, size_t n) {
  return w.size() > n ? w.substr(w.size() - n) : w;
}
std::string_view prefix(std::string_view w, size_t n) { return w.substr(0, std::min(n, w.size())); }

}  // namespace

void PosTagger::features(const std::vector<std::string>& words, size_t i, int prev, int prev2,
                         std::vector<uint64_t>& out) const {
  auto word_at = [&](long j) -> std::string {
    if (j < 0) return j == -1 ? "-START-" : "-START2-";
    if (j >= static_cast<long>(words.size()))
      return j == static_cast<long>(words.size()) ? "-END-" : "-END2-";
    return normalize(words[j]);
  };
  const long k = static_cast<long>(i);
  const std::string w = word_at(k), p1 = word_at(k - 1), p2 = word_at(k - 2), n1 = word_at(k + 1),
                    n2 = word_at(k + 2);
  const std::string t1 = prev < 0 ? "-START-" : tags_[prev],
                    t2 = prev2 < 0 ? "-START2-" : tags_[prev2];
  const std::string& raw = words[i];
  std::string lower = raw;  // affixes come from the word itself, not its normalized class
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t hyphen = lower.rfind('-');
  const std::string_view tail =
      hyphen == std::string::npos ? std::string_view() : std::string_view(lower).substr(hyphen + 1);
  const std::string raw_p1 = k > 0 ? words[i - 1] : "-START-";
  out.clear();
  out.push_back(feature(0, "bias"));
  out.push_back(feature(1, w));
  out.push_back(feature(2, suffix(lower, 1)));
  out.push_back(feature(3, suffix(lower, 2)));
  out.push_back(feature(4, suffix(lower, 3)));
  out.push_back(feature(5, suffix(lower, 4)));
  out.push_back(feature(6, prefix(lower, 1)));
  out.push_back(feature(7, prefix(lower, 2)));
  out.push_back(feature(8, prefix(lower, 3)));
  out.push_back(feature(9, t1));
  out.push_back(feature(10, t2));
  out.push_back(feature(11, t1, t2));
  out.push_back(feature(12, t1, w));
  out.push_back(feature(13, p1));
  out.push_back(feature(14, suffix(p1, 3)));
  out.push_back(feature(15, p2));
  out.push_back(feature(16, n1));
  out.push_back(feature(17, suffix(n1, 3)));
  out.push_back(feature(18, n2));
  out.push_back(feature(19, shape(raw)));
  out.push_back(feature(20, shape(raw), i == 0 ? "first" : "inner"));
  out.push_back(feature(21, p1, w));
  out.push_back(feature(22, w, n1));
  out.push_back(feature(23, t1, suffix(lower, 3)));
  out.push_back(
      feature(24, k + 1 < static_cast<long>(words.size()) ? shape(words[i + 1]) : "-END-"));
  out.push_back(feature(25, raw));
  out.push_back(feature(26, t1, n1));
  out.push_back(feature(27, lower));
  out.push_back(feature(28, tail));
  out.push_back(feature(29, suffix(tail, 3)));
  out.push_back(feature(30, shape(raw_p1)));
  out.push_back(feature(31, t2, w));
  out.push_back(feature(32, suffix(n1, 2), prefix(n1, 1)));
  out.push_back(feature(33, p1, n1));
  const std::string_view cls = ambiguity_class(raw), lower_cls = ambiguity_class(lower);
  out.push_back(feature(34, cls));
  out.push_back(feature(35, lower_cls));
  out.push_back(feature(36, cls, t1));
  out.push_back(feature(
      37, k + 1 < static_cast<long>(words.size()) ? ambiguity_class(words[i + 1]) : "-END-"));
}

std::string_view PosTagger::ambiguity_class(const std::string& word) const {
  const auto it = lexicon_.find(word);
  return it == lexicon_.end() ? std::string_view("-UNSEEN-")
                              : std::string_view(classes_[it->second]);
}

int PosTagger::predict(const std::vector<uint64_t>& feats) const {
  std::vector<float> scores(tags_.size(), 0.0f);
  for (uint64_t f : feats) {
    const auto it = weights_.find(f);
    if (it == weights_.end()) continue;
    for (size_t t = 0; t < scores.size(); ++t) scores[t] += it->second.w[t];
  }
  return static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

std::vector<int> PosTagger::tag_ids(const std::vector<std::string>& words) const {
  std::vector<int> out(words.size());
  std::vector<uint64_t> feats;
  int prev = -1, prev2 = -1;
  for (size_t i = 0; i < words.size(); ++i) {
    const auto known = tagdict_.find(words[i]);
    int t;
    if (known != tagdict_.end()) {
      t = known->second;
    } else {
      features(words, i, prev, prev2, feats);
      t = predict(feats);
    }
    out[i] = t;
    prev2 = prev;
    prev = t;
  }
  return out;
}

std::vector<std::string> PosTagger::tag(const std::vector<std::string>& words) const {
  std::vector<std::string> out;
  for (int t : tag_ids(words)) out.push_back(tags_[t]);
  return out;
}

// Averaged perceptron training: weights are averaged over every update step, computed lazily
// (each weight remembers when it last changed).
class PerceptronTrainer {
 public:
  explicit PerceptronTrainer(PosTagger& tagger) : tagger_(tagger) {}

  void update(int truth, int guess, const std::vector<uint64_t>& feats) {
    ++step_;
    if (truth == guess) return;
    for (uint64_t f : feats) {
      auto& p = params_[f];
      if (p.w.empty()) p.resize(tagger_.tags_.size());
      bump(p, truth, 1.0f);
      bump(p, guess, -1.0f);
    }
  }

  void average() {
    tagger_.weights_.clear();
    for (auto& [f, p] : params_) {
      PosTagger::Weights averaged;
      averaged.w.resize(p.w.size());
      bool any = false;
      for (size_t t = 0; t < p.w.size(); ++t) {
        const double total = p.total[t] + (step_ - p.stamp[t]) * static_cast<double>(p.w[t]);
        averaged.w[t] = static_cast<float>(total / std::max<int64_t>(step_, 1));
        any |= averaged.w[t] != 0.0f;
      }
      if (any) tagger_.weights_.emplace(f, std::move(averaged));
    }
  }

 private:
  struct Param {
    std::vector<float> w;
    std::vector<double> total;
    std::vector<int64_t> stamp;
    void resize(size_t n) {
      w.assign(n, 0);
      total.assign(n, 0);
      stamp.assign(n, 0);
    }
  };
  void bump(Param& p, int tag, float delta) {
    p.total[tag] += (step_ - p.stamp[tag]) * static_cast<double>(p.w[tag]);
    p.stamp[tag] = step_;
    p.w[tag] += delta;
  }

 public:
  // The current (not averaged) weights, for guessing during training.
  int guess(const std::vector<uint64_t>& feats, size_t ntags) const {
    std::vector<float> scores(ntags, 0.0f);
    for (uint64_t f : feats) {
      const auto it = params_.find(f);
      if (it == params_.end()) continue;
      for (size_t t = 0; t < ntags; ++t) scores[t] += it->second.w[t];
    }
    return static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
  }

 private:
  PosTagger& tagger_;
  std::unordered_map<uint64_t, Param> params_;
  int64_t step_ = 0;
};

PosTagger PosTagger::train(const std::vector<TaggedSentence>& sentences,
                           const TaggerTrainOptions& options,
                           const std::vector<TaggedSentence>* dev) {
  PosTagger tagger;
  std::map<std::string, int> tag_index;
  std::unordered_map<std::string, std::map<std::string, int64_t>> word_tags;
  for (const auto& s : sentences) {
    for (size_t i = 0; i < s.words.size(); ++i) {
      tag_index.emplace(s.tags[i], 0);
      ++word_tags[s.words[i]][s.tags[i]];
    }
  }
  for (auto& [tag, id] : tag_index) {
    id = static_cast<int>(tagger.tags_.size());
    tagger.tags_.push_back(tag);
  }
  for (const auto& [word, counts] : word_tags) {
    int64_t total = 0, best = 0;
    std::string best_tag;
    for (const auto& [tag, n] : counts) {
      total += n;
      if (n > best) best = n, best_tag = tag;
    }
    if (total >= options.tagdict_min_count &&
        static_cast<double>(best) / total >= options.tagdict_min_share) {
      tagger.tagdict_[word] = tag_index[best_tag];
    }
  }
  std::map<std::string, uint32_t> class_ids;
  for (const auto& [word, counts] : word_tags) {
    int64_t total = 0;
    std::string cls;
    for (const auto& [tag, n] : counts) {
      total += n;
      cls += (cls.empty() ? "" : "|") + tag;
    }
    if (total < options.lexicon_min_count) continue;
    const auto [it, added] = class_ids.emplace(cls, static_cast<uint32_t>(tagger.classes_.size()));
    if (added) tagger.classes_.push_back(cls);
    tagger.lexicon_[word] = it->second;
  }
  PerceptronTrainer trainer(tagger);
  std::vector<size_t> order(sentences.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  std::vector<uint64_t> feats;
  for (int iteration = 0; iteration < options.iterations; ++iteration) {
    for (const size_t s : order) {
      const auto& sentence = sentences[s];
      int prev = -1, prev2 = -1;
      for (size_t i = 0; i < sentence.words.size(); ++i) {
        const int truth = tag_index[sentence.tags[i]];
        int guess;
        const auto known = tagger.tagdict_.find(sentence.words[i]);
        if (known != tagger.tagdict_.end()) {
          guess = known->second;
        } else {
          tagger.features(sentence.words, i, prev, prev2, feats);
          guess = trainer.guess(feats, tagger.tags_.size());
          trainer.update(truth, guess, feats);
        }
        prev2 = prev;
        prev = guess;
      }
    }
    seeded_shuffle(order, rng);
    if (dev != nullptr) {
      trainer.average();
      std::fprintf(stderr, "iteration %d: dev accuracy %.4f\n", iteration + 1,
                   evaluate_tagger(tagger, *dev).accuracy());
    }
  }
  trainer.average();
  return tagger;
}

TaggerAccuracy evaluate_tagger(const PosTagger& tagger,
                               const std::vector<TaggedSentence>& sentences) {
  TaggerAccuracy result;
  std::map<std::string, size_t> errors;
  for (const auto& s : sentences) {
    const auto predicted = tagger.tag(s.words);
    for (size_t i = 0; i < s.words.size(); ++i) {
      ++result.total;
      if (predicted[i] == s.tags[i]) {
        ++result.correct;
      } else {
        ++errors[s.tags[i]];
      }
    }
  }
  result.errors_by_tag.assign(errors.begin(), errors.end());
  std::sort(result.errors_by_tag.begin(), result.errors_by_tag.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  return result;
}

namespace {

template <typename T>
void put(std::ostream& out, const T& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof value);
}
void put_string(std::ostream& out, const std::string& s) {
  put(out, static_cast<uint32_t>(s.size()));
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

// Reads from a byte buffer, failing with the file name when it runs out.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& path) : bytes_(bytes), path_(path) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof value);
    pos_ += sizeof value;
    return value;
  }
  std::string get_string() {
    const uint32_t n = get<uint32_t>();
    need(n);
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void need(size_t n) const {
    if (n > bytes_.size() - pos_) fail_file(path_, "truncated POS model");
  }
  bool done() const { return pos_ == bytes_.size(); }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  const std::string& bytes_;
  const std::string& path_;
  size_t pos_ = 0;
};

}  // namespace

void PosTagger::save(const std::string& path) const {
  AtomicFile file(path);
  std::ostream& out = file.stream();
  out.write(kMagic, sizeof kMagic);
  put(out, kFormatVersion);
  put(out, static_cast<uint32_t>(tags_.size()));
  for (const auto& t : tags_) put_string(out, t);
  std::map<std::string, int> sorted_dict(tagdict_.begin(), tagdict_.end());  // deterministic files
  put(out, static_cast<uint32_t>(sorted_dict.size()));
  for (const auto& [word, tag] : sorted_dict) {
    put_string(out, word);
    put(out, static_cast<uint16_t>(tag));
  }
  put(out, static_cast<uint32_t>(classes_.size()));
  for (const auto& c : classes_) put_string(out, c);
  std::map<std::string, uint32_t> sorted_lexicon(lexicon_.begin(), lexicon_.end());
  put(out, static_cast<uint32_t>(sorted_lexicon.size()));
  for (const auto& [word, cls] : sorted_lexicon) {
    put_string(out, word);
    put(out, cls);
  }
  std::map<uint64_t, const Weights*> sorted_weights;
  for (const auto& [f, w] : weights_) sorted_weights[f] = &w;
  put(out, static_cast<uint64_t>(sorted_weights.size()));
  for (const auto& [f, w] : sorted_weights) {
    put(out, f);
    out.write(reinterpret_cast<const char*>(w->w.data()),
              static_cast<std::streamsize>(w->w.size() * sizeof(float)));
  }
  file.commit();
}

PosTagger PosTagger::load(const std::string& path) {
  const std::string bytes = read_file(path);
  Reader in(bytes, path);
  in.need(sizeof kMagic);
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    fail_file(path, "not a bert2bilstm POS model");
  for (size_t i = 0; i < sizeof kMagic; ++i) in.get<char>();
  const uint32_t version = in.get<uint32_t>();
  if (version != kFormatVersion) {
    fail_file(path, "POS model format version " + std::to_string(version) +
                        ", this build reads version " + std::to_string(kFormatVersion));
  }
  PosTagger tagger;
  const uint32_t ntags = in.get<uint32_t>();
  if (ntags == 0 || ntags > 1000) fail_file(path, "bad tag count");
  for (uint32_t i = 0; i < ntags; ++i) tagger.tags_.push_back(in.get_string());
  const uint32_t ndict = in.get<uint32_t>();
  for (uint32_t i = 0; i < ndict; ++i) {
    std::string word = in.get_string();
    const uint16_t tag = in.get<uint16_t>();
    if (tag >= ntags) fail_file(path, "tag id out of range");
    tagger.tagdict_[std::move(word)] = tag;
  }
  const uint32_t nclasses = in.get<uint32_t>();
  for (uint32_t i = 0; i < nclasses; ++i) tagger.classes_.push_back(in.get_string());
  const uint32_t nlexicon = in.get<uint32_t>();
  for (uint32_t i = 0; i < nlexicon; ++i) {
    std::string word = in.get_string();
    const uint32_t cls = in.get<uint32_t>();
    if (cls >= nclasses) fail_file(path, "ambiguity class id out of range");
    tagger.lexicon_[std::move(word)] = cls;
  }
  const uint64_t nweights = in.get<uint64_t>();
  // Divided, not multiplied: a forged count must not wrap around to a small size.
  if (nweights > in.remaining() / (sizeof(uint64_t) + ntags * sizeof(float)))
    fail_file(path, "truncated POS model");
  tagger.weights_.reserve(nweights);
  for (uint64_t i = 0; i < nweights; ++i) {
    const uint64_t f = in.get<uint64_t>();
    Weights w;
    w.w.resize(ntags);
    for (uint32_t t = 0; t < ntags; ++t) w.w[t] = in.get<float>();
    tagger.weights_.emplace(f, std::move(w));
  }
  if (!in.done()) fail_file(path, "trailing bytes after the POS model");
  return tagger;
}

}  // namespace b2b
