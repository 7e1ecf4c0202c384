// Seed corpora for the fuzz targets: small valid inputs cut from ../shared and hand-made
// cases, one folder per target under OUT. Usage: b2b_fuzz_seeds OUT SHARED_DIR
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "io/safetensors_bytes.h"
#include "pos/conllu.h"
#include "pos/tagger.h"
#include "util/atomic_file.h"

namespace fs = std::filesystem;

namespace {

std::string out_dir;

void seed(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(out_dir + "/" + target);
  std::ofstream(out_dir + "/" + target + "/" + name, std::ios::binary) << bytes;
}

// The first `lines` lines of a file.
std::string head(const std::string& path, int lines) {
  std::ifstream in(path, std::ios::binary);
  std::string line, out;
  for (int i = 0; i < lines && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

// The first `bytes` bytes of a file.
std::string prefix(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string out(bytes, '\0');
  in.read(out.data(), static_cast<std::streamsize>(bytes));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

std::string selector(int value) { return std::string(1, static_cast<char>(value)); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: b2b_fuzz_seeds OUT SHARED_DIR\n";
    return 2;
  }
  out_dir = argv[1];
  const std::string shared = argv[2];
  const std::string sst2 = head(shared + "/data/glue/SST-2/train.tsv", 30);
  const std::string sick = head(shared + "/data/pairs/SICK/SICK.txt", 20);

  // Delimited records and task specs.
  seed("delimited_fuzz", "tsv", "a gripping film\t1");
  seed("delimited_fuzz", "csv", "\"a \"\"quoted\"\" film\"\t\"tab\there\"\t0");
  seed("delimited_fuzz", "open-quote", "\"never closed\tx");
  seed("delimited_fuzz", "task-sst2", "sst2");
  seed("delimited_fuzz", "task-generic",
       "tsv:text_a=premise,text_b=hypothesis,label=gold,labels=a|b|c");

  // Task files: selector (task, quoting, options) then the file.
  seed("dataset_fuzz", "sst2", selector(0) + sst2);
  seed("dataset_fuzz", "sst2-discover", selector(32 + 3) + "a\tl\n" + "good film\tpos\nbad\tneg\n");
  seed("dataset_fuzz", "pair", selector(4) + "a\tb\tl\nx y\tz\tx\nq\tr\ty\n");
  seed("dataset_fuzz", "csv", selector(8 + 3) + "a\tl\n\"multi \"\"q\"\"\"\tyes\n");
  seed("dataset_fuzz", "transfer",
       selector(0) + "sentence\tlabel\tlogit_0\tlogit_1\nfine\t1\t-0.5\t0.5\n");
  seed("dataset_fuzz", "sick-as-generic", selector(4) + sick);

  // Unlabeled text: selector (task, quoting, sample size) then the file.
  const std::string imdb = head(shared + "/data/unlabeled/imdb-unsup-sentences.txt", 30);
  seed("unlabeled_fuzz", "plain", selector(0) + imdb);
  seed("unlabeled_fuzz", "plain-sampled", selector(32) + imdb + "\n  \n" + imdb);
  seed("unlabeled_fuzz", "delimited", selector(1) + "a\tlabel\nfine\t1\n\nbad\t0\n");
  seed("unlabeled_fuzz", "pair", selector(2 + 16) + "a\tb\nx\ty\nX\tY\nx\tz\n");
  seed("unlabeled_fuzz", "csv", selector(8 + 1) + "a\n\"multi \"\"q\"\"\"\nplain\n");

  // CoNLL-U.
  const std::string treebank = shared + "/data/pos/UD_English-EWT/en_ewt-ud-dev.conllu";
  seed("conllu_fuzz", "ewt", head(treebank, 80));
  seed("conllu_fuzz", "multiword",
       "# text = don't\n1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
       "1\tdo\tdo\tAUX\t_\t_\t0\troot\t_\t_\n"
       "2\tn't\tnot\tPART\t_\t_\t1\tadvmod\t_\t_\n"
       "2.1\tx\tx\tX\t_\t_\t_\t_\t_\t_\n\n");

  // Word vectors: selector (format, vocabulary) then the file.
  const std::string glove = head(shared + "/data/vectors/glove.6B.50d.subset-1000.txt", 5);
  seed("word_vectors_fuzz", "glove", selector(3) + glove);
  seed("word_vectors_fuzz", "glove-auto", selector(4) + glove);
  seed("word_vectors_fuzz", "w2v-text", selector(2) + "2 3\nthe 0.1 0.2 0.3\nfilm 1 2 3\n");
  {
    std::string binary = "2 3\n";
    for (const char* word : {"the", "film"}) {
      binary += std::string(word) + " ";
      const float v[3] = {0.5f, -1.0f, 2.0f};
      binary.append(reinterpret_cast<const char*>(v), sizeof v);
      binary += "\n";
    }
    seed("word_vectors_fuzz", "w2v-binary", selector(1) + binary);
    seed("word_vectors_fuzz", "w2v-binary-real",
         selector(5) + prefix(shared + "/data/vectors/imdb-rt-skipgram-300d.bin", 4000));
  }

  // The POS model: one trained on 40 EWT sentences, 1 iteration.
  {
    std::vector<b2b::TaggedSentence> sentences = b2b::read_conllu(treebank);
    sentences.resize(std::min<size_t>(sentences.size(), 40));
    const std::string path = out_dir + "/tagger.tmp";
    b2b::PosTagger::train(sentences, b2b::TaggerTrainOptions{1}).save(path);
    seed("pos_model_fuzz", "ewt-40", b2b::read_file(path));
    fs::remove(path);
  }

  // config.json: selector bit 0 = student, else BERT (bit 1: with tokenizer_config.json).
  seed("config_json_fuzz", "bert",
       selector(0) + b2b::read_file(shared + "/fixtures/bert/tiny-sst2-f32/config.json"));
  seed("config_json_fuzz", "bert-tokenizer",
       selector(2) + "{\"hidden_size\": 8, \"num_attention_heads\": 2}{\"do_lower_case\": false}");
  seed("config_json_fuzz", "student",
       selector(1) + R"({"dropout": 0.1, "embedding_dim": 4, "embedding_mode": "multichannel",
 "fc_size": 5, "format_version": 1, "hidden_size": 3, "lower_case": true,
 "model_type": "bert2bilstm-student", "num_labels": 3, "task": {"label_column": "gold",
 "labels": ["a", "b", "c"], "name": "tsv", "quoting": "csv", "skip_malformed_rows": false,
 "text_a": "p", "text_b": "h"}, "training": {}, "vocab_size": 10})");

  // safetensors: every dtype the readers know, and a few they do not.
  {
    const float f32[4] = {1.0f, -2.0f, 0.5f, 3.0f};
    const uint16_t f16[2] = {0x3c00, 0xc000};  // 1, -2
    const uint16_t bf16[2] = {0x3f80, 0xc000};
    const int64_t i64[2] = {7, -1};
    const uint8_t u8[3] = {1, 2, 3};
    std::vector<b2b::TensorBytes> tensors = {
        {"w", "F32", {2, 2}, {reinterpret_cast<const char*>(f32), sizeof f32}},
        {"h", "F16", {2}, {reinterpret_cast<const char*>(f16), sizeof f16}},
        {"b", "BF16", {1, 2}, {reinterpret_cast<const char*>(bf16), sizeof bf16}},
        {"i", "I64", {2}, {reinterpret_cast<const char*>(i64), sizeof i64}},
        {"u", "U8", {3}, {reinterpret_cast<const char*>(u8), sizeof u8}},
        {"e", "F32", {0, 4}, {}}};
    const std::string path = out_dir + "/seed.safetensors";
    b2b::write_safetensors(path, tensors, {{"format", "pt"}});
    seed("safetensors_fuzz", "every-dtype", b2b::read_file(path));
    seed("safetensors_header_fuzz", "every-dtype", b2b::read_file(path));
    tensors.resize(1);
    b2b::write_safetensors(path, tensors);
    seed("safetensors_fuzz", "one", b2b::read_file(path));
    fs::remove(path);
  }

  // Tokenizers: selector (lower case, pair, max length) then text.
  seed("tokenizers_fuzz", "sentence",
       selector(1) + "Hello, World! It's un-believable... 2,000 films.");
  seed("tokenizers_fuzz", "unicode",
       selector(3) + "Crème brûlée 中文字 \xe2\x80\x8b tab\there [MASK] ok");
  seed("tokenizers_fuzz", "pair", selector(6) + "the first sentence is long enough the second one");
  seed("tokenizers_fuzz", "invalid", selector(0) + "bad \xff\xfe bytes \xc3");

  // /predict bodies: selector bit 0 = pair model.
  seed("predict_request_fuzz", "text", selector(0) + R"({"text": "a gripping film"})");
  seed("predict_request_fuzz", "texts", selector(0) + R"({"texts": ["good", "bad", ""]})");
  seed("predict_request_fuzz", "pair",
       selector(1) + R"({"text_a": "a dog", "text_b": "an animal"})");
  seed("predict_request_fuzz", "pairs",
       selector(1) + R"({"pairs": [{"text_a": "x", "text_b": "y"}, ["p", "q"]]})");

  // Vocabulary files: selector bit 0 = BERT's vocab.txt (bit 1: lower case), else the student's.
  seed("vocabulary_fuzz", "student",
       selector(0) + "[PAD]\t0\n[UNK]\t0\n[MASK]\t0\nthe\t5\nfilm\t2\n");
  seed("vocabulary_fuzz", "bert", selector(3) + head(shared + "/data/bert/vocab.txt", 1200));
  return 0;
}
