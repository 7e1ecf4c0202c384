#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "text/wordpiece.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b::cli {

namespace {

struct Flags {
  std::string vocab;
  bool cased = false, jsonl = false;
  size_t max_length = 0;
};

Encoding encode_line(const WordPieceTokenizer& tokenizer, const std::string& line,
                     size_t line_number, const Flags& f) {
  if (!f.jsonl) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) return tokenizer.encode(line, std::nullopt, f.max_length);
    return tokenizer.encode(std::string_view(line).substr(0, tab),
                            std::string_view(line).substr(tab + 1), f.max_length);
  }
  const auto json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("text") ||
      !json["text"].is_string()) {
    fail_line("<stdin>", line_number, "expected a JSON object with a string \"text\"");
  }
  const std::string text = json["text"].get<std::string>();
  if (json.contains("text_pair") && json["text_pair"].is_string()) {
    const std::string pair = json["text_pair"].get<std::string>();
    return tokenizer.encode(text, std::string_view(pair), f.max_length);
  }
  return tokenizer.encode(text, std::nullopt, f.max_length);
}

void run(const Flags& f) {
  const auto tokenizer = WordPieceTokenizer::from_vocab_file(f.vocab, !f.cased);
  std::string line, out;
  size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!f.jsonl && !line.empty() && line.back() == '\r') line.pop_back();
    if (!is_valid_utf8(line)) fail_line("<stdin>", line_number, "invalid UTF-8");
    const Encoding encoding = encode_line(tokenizer, line, line_number, f);
    out.clear();
    if (f.jsonl) {
      out = nlohmann::json(encoding.ids).dump();
    } else {
      for (size_t i = 0; i < encoding.ids.size(); ++i)
        out += (i ? " " : "") + std::to_string(encoding.ids[i]);
    }
    std::cout << out << '\n';
  }
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "tokenize",
      "BERT WordPiece ids for stdin lines (text or text_a<TAB>text_b; --jsonl: JSON objects)");
  cmd->add_option("--vocab", flags->vocab, "WordPiece vocab.txt")->required();
  cmd->add_flag("--cased", flags->cased, "keep case and accents (cased vocabularies)");
  cmd->add_option("--max-length", flags->max_length,
                  "truncate to this many ids, specials included (0 = off)");
  cmd->add_flag("--jsonl", flags->jsonl,
                "input {\"text\": ..., \"text_pair\": ...} lines, output JSON arrays");
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
