#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"
#include "pos/tagger.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b::cli {

namespace {

struct Flags {
  std::string conllu, dev, out, model;
  TaggerTrainOptions options;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_train(const Flags& f) {
  const auto start = std::chrono::steady_clock::now();
  const auto train = read_conllu(f.conllu);
  std::vector<TaggedSentence> dev;
  if (!f.dev.empty()) dev = read_conllu(f.dev);
  const PosTagger tagger = PosTagger::train(train, f.options, f.dev.empty() ? nullptr : &dev);
  tagger.save(f.out);
  std::printf("trained on %zu sentences in %.1f s (%d iterations): %s\n", train.size(),
              seconds_since(start), f.options.iterations, f.out.c_str());
}

void run_eval(const Flags& f) {
  const PosTagger tagger = PosTagger::load(f.model);
  const auto sentences = read_conllu(f.conllu);
  const auto start = std::chrono::steady_clock::now();
  const TaggerAccuracy result = evaluate_tagger(tagger, sentences);
  const double seconds = seconds_since(start);
  std::printf("accuracy %.4f (%zu/%zu tokens), %.0f tokens/s\n", result.accuracy(), result.correct,
              result.total, result.total / seconds);
  std::printf("errors by gold tag:");
  for (size_t i = 0; i < std::min<size_t>(result.errors_by_tag.size(), 12); ++i) {
    std::printf(" %s %zu", result.errors_by_tag[i].first.c_str(), result.errors_by_tag[i].second);
  }
  std::printf("\n");
}

void run_tag(const Flags& f) {
  const PosTagger tagger = PosTagger::load(f.model);
  std::string line, word;
  size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!is_valid_utf8(line)) fail_line("<stdin>", line_number, "invalid UTF-8");
    std::istringstream words_in(line);
    std::vector<std::string> words;
    while (words_in >> word) words.push_back(word);
    const auto tags = tagger.tag(words);
    for (size_t i = 0; i < words.size(); ++i)
      std::cout << (i ? " " : "") << words[i] << '/' << tags[i];
    std::cout << '\n';
  }
}

}  // namespace

void add_pos_command(CLI::App& app) {
  auto* pos = app.add_subcommand("pos", "Part-of-speech tagger (averaged perceptron, Penn tags)");
  pos->require_subcommand(1);
  auto flags = std::make_shared<Flags>();
  auto* train = pos->add_subcommand("train", "Train from a CoNLL-U treebank (XPOS column)");
  train->add_option("--conllu", flags->conllu, "training treebank")->required();
  train->add_option("--dev", flags->dev, "treebank to report accuracy on after each iteration");
  train->add_option("--out", flags->out, "model file to write")->required();
  train->add_option("--iterations", flags->options.iterations)
      ->capture_default_str()
      ->check(positive_integer());
  train->add_option("--seed", flags->options.seed)->capture_default_str();
  train->final_callback([flags] { run_train(*flags); });
  auto* eval = pos->add_subcommand("eval", "Token accuracy and errors per tag on a CoNLL-U file");
  eval->add_option("--model", flags->model)->required();
  eval->add_option("--conllu", flags->conllu)->required();
  eval->final_callback([flags] { run_eval(*flags); });
  auto* tag = pos->add_subcommand("tag", "Tag stdin lines of space-separated words: word/TAG");
  tag->add_option("--model", flags->model)->required();
  tag->final_callback([flags] { run_tag(*flags); });
}

}  // namespace b2b::cli
