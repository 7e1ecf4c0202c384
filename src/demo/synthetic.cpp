#include "demo/synthetic.h"

#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "teacher/bert_config.h"
#include "util/atomic_file.h"

namespace b2b {

namespace {

struct Word {
  const char* text;
  const char* tag;
};

const std::vector<Word> kDeterminers = {{"the", "DT"}, {"this", "DT"}, {"that", "DT"}, {"a", "DT"}};
const std::vector<Word> kNouns = {
    {"movie", "NN"},  {"film", "NN"},       {"plot", "NN"},  {"cast", "NN"},   {"script", "NN"},
    {"ending", "NN"}, {"soundtrack", "NN"}, {"story", "NN"}, {"acting", "NN"}, {"director", "NN"}};
// Forty adjectives of each polarity: a few hundred gold sentences cannot show a student every
// one, while the teacher, trained on thousands, has seen them all (the demo's point).
const std::vector<Word> kPositive = {
    {"good", "JJ"},      {"great", "JJ"},    {"wonderful", "JJ"},  {"moving", "JJ"},
    {"brilliant", "JJ"}, {"charming", "JJ"}, {"funny", "JJ"},      {"fresh", "JJ"},
    {"superb", "JJ"},    {"lovely", "JJ"},   {"clever", "JJ"},     {"witty", "JJ"},
    {"gripping", "JJ"},  {"stunning", "JJ"}, {"delightful", "JJ"}, {"touching", "JJ"},
    {"vivid", "JJ"},     {"smart", "JJ"},    {"elegant", "JJ"},    {"thrilling", "JJ"},
    {"tender", "JJ"},    {"bold", "JJ"},     {"rich", "JJ"},       {"warm", "JJ"},
    {"inventive", "JJ"}, {"joyful", "JJ"},   {"sharp", "JJ"},      {"poignant", "JJ"},
    {"graceful", "JJ"},  {"haunting", "JJ"}, {"sublime", "JJ"},    {"dazzling", "JJ"},
    {"heartfelt", "JJ"}, {"engaging", "JJ"}, {"riveting", "JJ"},   {"playful", "JJ"},
    {"radiant", "JJ"},   {"powerful", "JJ"}, {"nimble", "JJ"},     {"masterful", "JJ"}};
const std::vector<Word> kNegative = {
    {"bad", "JJ"},       {"awful", "JJ"},    {"dull", "JJ"},      {"boring", "JJ"},
    {"clumsy", "JJ"},    {"tedious", "JJ"},  {"weak", "JJ"},      {"stale", "JJ"},
    {"bland", "JJ"},     {"messy", "JJ"},    {"flat", "JJ"},      {"lazy", "JJ"},
    {"shallow", "JJ"},   {"hollow", "JJ"},   {"sloppy", "JJ"},    {"dreary", "JJ"},
    {"tired", "JJ"},     {"silly", "JJ"},    {"pointless", "JJ"}, {"sluggish", "JJ"},
    {"lifeless", "JJ"},  {"muddled", "JJ"},  {"trite", "JJ"},     {"forced", "JJ"},
    {"grating", "JJ"},   {"murky", "JJ"},    {"plodding", "JJ"},  {"tiresome", "JJ"},
    {"hackneyed", "JJ"}, {"limp", "JJ"},     {"empty", "JJ"},     {"cheap", "JJ"},
    {"inert", "JJ"},     {"listless", "JJ"}, {"leaden", "JJ"},    {"stilted", "JJ"},
    {"bloated", "JJ"},   {"vapid", "JJ"},    {"dismal", "JJ"},    {"clunky", "JJ"}};
const std::vector<Word> kIntensifiers = {
    {"very", "RB"}, {"really", "RB"}, {"truly", "RB"}, {"quite", "RB"}};
const std::vector<Word> kVerbs = {{"is", "VBZ"}, {"was", "VBD"}, {"seems", "VBZ"}, {"felt", "VBD"}};
const std::vector<Word> kLikeVerbs = {{"liked", "VBD"}, {"loved", "VBD"}, {"enjoyed", "VBD"}};

struct Sentence {
  std::vector<Word> words;
  int label = 0;
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  // Half the sentences contrast two clauses with "but": the second one decides.
  Sentence next() {
    if (!coin(0.5)) return clause();
    Sentence first = clause(), second = clause();
    first.words.pop_back();  // the full stop
    first.words.push_back({"but", "CC"});
    first.words.insert(first.words.end(), second.words.begin(), second.words.end());
    first.label = second.label;
    return first;
  }

 private:
  Sentence clause() {
    Sentence s;
    const bool positive_word = coin(0.5);
    const bool negated = coin(0.35);
    const Word& adjective = pick(positive_word ? kPositive : kNegative);
    switch (rng_() % 3) {
      case 0:  // the movie was (not) (very) good .
        s.words = {pick(kDeterminers), pick(kNouns), pick(kVerbs)};
        if (negated) s.words.push_back({"not", "RB"});
        if (coin(0.4)) s.words.push_back(pick(kIntensifiers));
        s.words.push_back(adjective);
        break;
      case 1:  // a (truly) good film , (not) ...
        s.words = {pick(kDeterminers)};
        if (negated) s.words.push_back({"not", "RB"});
        s.words.push_back({"so", "RB"});
        if (coin(0.4)) s.words.push_back(pick(kIntensifiers));
        s.words.push_back(adjective);
        s.words.push_back(pick(kNouns));
        break;
      default: {  // i (did not) like the movie , it was good
        s.words = {{"i", "PRP"}};
        const bool dislike = negated;
        if (dislike)
          s.words.insert(s.words.end(), {{"did", "VBD"}, {"not", "RB"}, {"like", "VB"}});
        else
          s.words.push_back(pick(kLikeVerbs));
        s.words.insert(s.words.end(),
                       {pick(kDeterminers), pick(kNouns), {",", ","}, {"it", "PRP"}, pick(kVerbs)});
        s.words.push_back(adjective);
        // The verb decides here; the adjective agrees with it so the label stays clear.
        s.words.back() = pick(dislike ? kNegative : kPositive);
        s.words.push_back({".", "."});
        s.label = dislike ? 0 : 1;
        return s;
      }
    }
    s.words.push_back({".", "."});
    s.label = positive_word != negated ? 1 : 0;
    return s;
  }

  bool coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  const Word& pick(const std::vector<Word>& words) { return words[rng_() % words.size()]; }
  std::mt19937_64 rng_;
};

std::string text_of(const Sentence& s) {
  std::string out;
  for (size_t i = 0; i < s.words.size(); ++i) out += (i ? " " : "") + std::string(s.words[i].text);
  return out;
}

void write_split(const std::string& path, Generator& generator, size_t n) {
  std::ostringstream out;
  out << "sentence\tlabel\n";
  for (size_t i = 0; i < n; ++i) {
    const Sentence s = generator.next();
    out << text_of(s) << "\t" << s.label << "\n";
  }
  write_file_atomic(path, out.str());
}

void write_treebank(const std::string& path, Generator& generator, size_t n) {
  std::ostringstream out;
  for (size_t i = 0; i < n; ++i) {
    const Sentence s = generator.next();
    for (size_t w = 0; w < s.words.size(); ++w) {
      out << w + 1 << "\t" << s.words[w].text << "\t_\t_\t" << s.words[w].tag
          << "\t_\t_\t_\t_\t_\n";
    }
    out << "\n";
  }
  write_file_atomic(path, out.str());
}

// A small BERT shape and a vocabulary holding exactly the grammar's words.
void write_teacher_config(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::set<std::string> words;
  for (const auto* list :
       {&kDeterminers, &kNouns, &kPositive, &kNegative, &kIntensifiers, &kVerbs, &kLikeVerbs}) {
    for (const Word& w : *list) words.insert(w.text);
  }
  for (const char* w : {"not", "so", "i", "did", "like", "it", ",", ".", "but"}) words.insert(w);
  std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (const auto& w : words) vocab += w + "\n";
  write_file_atomic(dir + "/vocab.txt", vocab);
  BertConfig config;
  config.vocab_size = static_cast<int64_t>(words.size() + 5);
  config.hidden_size = 128;
  config.num_hidden_layers = 4;
  config.num_attention_heads = 4;
  config.intermediate_size = 512;
  config.max_position_embeddings = 64;
  config.id2label = {"0", "1"};
  write_file_atomic(dir + "/config.json", bert_config_to_json(config).dump(2) + "\n");
}

// Text without labels, one sentence a line: what a user's own traffic would be.
void write_unlabeled(const std::string& path, Generator& generator, size_t n) {
  std::ostringstream out;
  for (size_t i = 0; i < n; ++i) out << text_of(generator.next()) << "\n";
  write_file_atomic(path, out.str());
}

}  // namespace

void write_synthetic_task(const std::string& dir, const SyntheticTaskOptions& options) {
  std::filesystem::create_directories(dir + "/data");
  Generator generator(options.seed);
  write_split(dir + "/data/train.tsv", generator, options.train);
  write_split(dir + "/data/dev.tsv", generator, options.dev);
  write_unlabeled(dir + "/data/unlabeled.txt", generator, options.unlabeled);
  write_treebank(dir + "/treebank.conllu", generator, options.treebank);
  write_teacher_config(dir + "/teacher-config");
}

}  // namespace b2b
