#include "student/train_run.h"

#include <cstdio>

#include "data/dataset.h"
#include "student/checkpoint.h"
#include "student/word_vectors.h"
#include "text/basic_tokenizer.h"
#include "util/error.h"

namespace b2b {

Vocabulary build_vocabulary(const Dataset& data, const BasicTokenizer& tokenizer,
                            int64_t min_count) {
  std::unordered_map<std::string, int64_t> counts;
  std::vector<std::string> words;
  for (const Example& e : data.examples) {
    words.clear();
    tokenizer.tokenize(e.text_a, words);
    tokenizer.tokenize(e.text_b, words);
    for (const auto& w : words) ++counts[w];
  }
  return Vocabulary::build(counts, min_count);
}

namespace {

// Rows for the embedding tables: pretrained where the word has a vector, U(-0.25, 0.25)
// otherwise, zeros for padding.
torch::Tensor embedding_rows(const WordVectors& vectors, const Vocabulary& vocab) {
  torch::Tensor rows =
      torch::empty({static_cast<int64_t>(vocab.size()), vectors.dim}).uniform_(-0.25, 0.25);
  rows[Vocabulary::kPad].zero_();
  size_t found = 0;
  for (size_t id = 3; id < vocab.size(); ++id) {
    const auto it = vectors.vectors.find(vocab.word(static_cast<int64_t>(id)));
    if (it == vectors.vectors.end()) continue;
    rows[static_cast<int64_t>(id)].copy_(
        torch::from_blob(const_cast<float*>(it->second.data()), {vectors.dim}));
    ++found;
  }
  std::fprintf(stderr,
               "word vectors: %zu of %zu vocabulary words found (%zu vectors in the file)\n", found,
               vocab.size() - 3, vectors.total_words);
  return rows;
}

StudentConfig make_config(const StudentRunSpec& s, const Vocabulary& vocab, int64_t embedding_dim) {
  StudentConfig config;
  config.task = s.task;
  apply_task_defaults(config);
  if (s.hidden > 0) config.hidden_size = s.hidden;
  if (s.fc > 0) config.fc_size = s.fc;
  config.dropout = s.dropout;
  config.vocab_size = static_cast<int64_t>(vocab.size());
  config.embedding_dim = embedding_dim;
  const std::string mode =
      s.embedding_mode.empty() ? (s.vectors.empty() ? "rand" : "multichannel") : s.embedding_mode;
  config.embedding_mode = parse_embedding_mode(mode);
  if (config.embedding_mode != EmbeddingMode::kRand && s.vectors.empty()) {
    throw Error("--embedding-mode " + mode + " needs --vectors");
  }
  return config;
}

}  // namespace

void validate_student_spec(const StudentRunSpec& s) {
  // hidden, fc and batch 0 stand for the task's defaults; the command line refuses an explicit 0.
  if (s.hidden < 0) throw Error("--hidden must be positive");
  if (s.fc < 0) throw Error("--fc must be positive");
  if (s.vectors.empty() && s.embedding_dim <= 0) throw Error("--embedding-dim must be positive");
  if (!(s.dropout >= 0 && s.dropout < 1)) throw Error("--dropout must be in [0, 1)");
  validate_train_options(s.options);  // a zero batch is refused where batches are made
}

TrainResult run_student_training(StudentRunSpec s) {
  validate_student_spec(s);
  TaskSpec& task = s.task;
  if (s.options.batch_size == 0) s.options.batch_size = task.is_pair() ? 256 : 50;
  ReadOptions read_options;
  read_options.discover_labels = true;
  read_options.format = s.format;
  const Dataset train = read_dataset(s.train, task, read_options);
  validate_train_data(s.options, train.has_logits, s.train);
  if (task.num_labels() < 2) fail_file(s.train, "needs at least two distinct labels");
  Dataset dev;
  if (!s.dev.empty()) {
    ReadOptions dev_options;
    dev_options.format = s.format;
    dev = read_dataset(s.dev, task, dev_options);
  }

  const BasicTokenizer tokenizer;
  const Vocabulary vocab = build_vocabulary(train, tokenizer, s.min_count);
  WordVectors vectors;
  int64_t embedding_dim = s.embedding_dim;
  if (!s.vectors.empty()) {
    vectors = load_word_vectors(s.vectors, parse_vectors_format(s.vectors_format), &vocab);
    embedding_dim = vectors.dim;
  }
  const StudentConfig config = make_config(s, vocab, embedding_dim);
  // The initial weights come from libtorch's generator, which each process seeds at random
  // unless told: seeded here, a run is reproducible from its --seed (train_student seeds it
  // again for the batches and dropout).
  torch::manual_seed(s.options.seed);
  StudentModel model(config);
  if (!s.vectors.empty()) model->set_pretrained_embeddings(embedding_rows(vectors, vocab));

  std::fprintf(stderr,
               "student: %zu train rows, %zu dev rows, vocabulary %zu, %lld parameters "
               "(%lld without embeddings), embeddings %s\n",
               train.examples.size(), dev.examples.size(), vocab.size(),
               static_cast<long long>(model->count_parameters(true)),
               static_cast<long long>(model->count_parameters(false)),
               embedding_mode_name(config.embedding_mode).c_str());
  const auto train_ids = encode_examples(train, tokenizer, vocab, task.is_pair());
  const auto dev_ids = encode_examples(dev, tokenizer, vocab, task.is_pair());
  nlohmann::json summary = {{"train", s.train},
                            {"dev", s.dev},
                            {"vectors", s.vectors},
                            {"alpha", s.options.alpha},
                            {"alpha_rows", s.options.alpha_rows},
                            {"kl_temperature", s.options.kl_temperature},
                            {"optimizer", s.options.optimizer},
                            {"lr", s.options.lr},
                            {"batch", s.options.batch_size},
                            {"seed", s.options.seed}};
  TrainResult result =
      train_student(model, train_ids, dev_ids, s.options, [&](int epoch, double acc) {
        summary["best_epoch"] = epoch;
        summary["best_dev_accuracy"] = acc;
        save_student(s.out, config, vocab, model, summary);
      });
  summary["history"] = result.to_json()["epochs"];
  // Rewrite config.json's training record with the whole history; the weights are the best.
  Student best = load_student(s.out);
  save_student(s.out, best.config, best.vocab, best.model, summary);
  return result;
}

}  // namespace b2b
