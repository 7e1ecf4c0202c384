// issue 16: `export --format onnx`, run in onnxruntime (the npm package onnxruntime-node, which
// scripts/setup.sh installs into ~/.cache/bert2bilstm/onnxruntime): for a student of every
// embedding mode and a pair student, the logits on SST-2 dev (and SICK pairs, with 1-word
// sentences) equal `predict --json`'s within 1e-5. The word ids come from the exported
// vocab.txt, as a user of the ONNX file would make them. Bad directories: one error, no file.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "data/dataset.h"
#include "test_util.h"
#include "text/basic_tokenizer.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using test::run_cli;
using test::shared;

// Where setup.sh puts onnxruntime-node ("" when it is not there).
std::string onnxruntime_node() {
  if (const char* dir = std::getenv("B2B_ONNXRUNTIME_NODE")) return dir;
  const char* home = std::getenv("HOME");
  const std::string dir = std::string(home ? home : "/root") +
                          "/.cache/bert2bilstm/onnxruntime/node_modules/onnxruntime-node";
  return fs::exists(dir + "/package.json") && std::system("node --version > /dev/null 2>&1") == 0
             ? dir
             : "";
}

// The exported vocabulary: one word a line, the id its line number.
std::unordered_map<std::string, int64_t> read_exported_vocabulary(const std::string& path) {
  std::unordered_map<std::string, int64_t> ids;
  std::istringstream in(read_file(path));
  std::string word;
  for (int64_t id = 0; std::getline(in, word); ++id) ids.emplace(word, id);
  return ids;
}

// A text's ids as the model's metadata tells a user to make them.
std::vector<int64_t> word_ids(const std::string& text,
                              const std::unordered_map<std::string, int64_t>& vocab,
                              bool lower_case) {
  BasicTokenizerOptions options;
  options.lower_case = lower_case;
  std::vector<int64_t> ids;
  for (const std::string& word : BasicTokenizer(options).tokenize(text)) {
    const auto it = vocab.find(word);
    ids.push_back(it == vocab.end() ? 1 : it->second);  // unknown_word_id
  }
  if (ids.empty()) ids.push_back(1);  // empty_text: one unknown word
  return ids;
}

std::map<std::string, std::string> metadata_of(const std::string& model_path) {
  onnx::ModelProto model;
  std::ifstream in(model_path, std::ios::binary);
  EXPECT_TRUE(model.ParseFromIstream(&in)) << model_path;
  std::map<std::string, std::string> out;
  for (const auto& entry : model.metadata_props()) out[entry.key()] = entry.value();
  return out;
}

// Exports `student`, runs it in onnxruntime over `examples` (batches of 37 rows: mixed
// lengths in each) and compares with predict --json on the same lines.
void expect_onnx_equals_predict(const test::TempDir& dir, const std::string& student,
                                const std::vector<Example>& examples, bool pair) {
  const std::string out_dir = dir.path(fs::path(student).filename().string() + "-onnx");
  fs::create_directories(out_dir);
  const auto exported =
      run_cli("export --model " + student + " --format onnx --out " + out_dir + "/student.onnx");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto meta = metadata_of(out_dir + "/student.onnx");
  ASSERT_EQ(meta.at("vocabulary"), "vocab.txt");
  EXPECT_EQ(meta.at("pair"), pair ? "true" : "false");
  const auto vocab = read_exported_vocabulary(out_dir + "/vocab.txt");
  const bool lower_case = meta.at("lower_case") == "true";

  Json inputs = {{"batches", Json::array()}};
  std::string lines;
  for (size_t begin = 0; begin < examples.size(); begin += 37) {
    Json batch = {{"ids", Json::array()}, {"lengths", Json::array()}};
    if (pair) batch["ids_b"] = batch["lengths_b"] = Json::array();
    for (size_t i = begin; i < std::min(examples.size(), begin + 37); ++i) {
      const auto a = word_ids(examples[i].text_a, vocab, lower_case);
      batch["ids"].push_back(a);
      batch["lengths"].push_back(a.size());
      lines += examples[i].text_a;
      if (pair) {
        const auto b = word_ids(examples[i].text_b, vocab, lower_case);
        batch["ids_b"].push_back(b);
        batch["lengths_b"].push_back(b.size());
        lines += "\t" + examples[i].text_b;
      }
      lines += "\n";
    }
    inputs["batches"].push_back(batch);
  }
  const std::string inputs_path = dir.write("inputs.json", inputs.dump());
  const std::string command = "node " + std::string(B2B_SOURCE_DIR) + "/tests/onnx/run_onnx.js " +
                              onnxruntime_node() + " " + out_dir + "/student.onnx " + inputs_path +
                              " > " + dir.path("onnx.json");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const Json onnx_logits = Json::parse(read_file(dir.path("onnx.json")))["logits"];

  const auto predicted = run_cli("predict --json --model " + student, lines);
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  std::istringstream rows(predicted.out);
  std::string row;
  size_t n = 0;
  double worst = 0;
  while (std::getline(rows, row)) {
    const Json expected = Json::parse(row)["logits"];
    ASSERT_LT(n, onnx_logits.size());
    ASSERT_EQ(onnx_logits[n].size(), expected.size());
    for (size_t c = 0; c < expected.size(); ++c) {
      worst =
          std::max(worst, std::abs(onnx_logits[n][c].get<double>() - expected[c].get<double>()));
    }
    ++n;
  }
  EXPECT_EQ(n, examples.size());
  EXPECT_EQ(onnx_logits.size(), examples.size());
  EXPECT_LE(worst, 1e-5) << student;
  std::printf("%s: %zu rows, max |onnxruntime - predict| %.2e\n", student.c_str(), n, worst);
}

class OnnxExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run_cli("export --model x --out y").err.find("no ONNX export") != std::string::npos)
      GTEST_SKIP() << "built without libonnx-dev (scripts/setup.sh installs it)";
    if (onnxruntime_node().empty())
      GTEST_SKIP() << "onnxruntime-node not found (scripts/setup.sh --test installs it into "
                      "~/.cache/bert2bilstm/onnxruntime; or set B2B_ONNXRUNTIME_NODE)";
  }
};

TEST_F(OnnxExportTest, EveryEmbeddingModeRunsInOnnxruntimeAsPredictDoes) {
  test::TempDir dir;
  std::istringstream rows(read_file(shared("data/glue/SST-2/train.tsv")));
  std::string line, head;
  for (int i = 0; i <= 2000 && std::getline(rows, line); ++i) head += line + "\n";
  const std::string train = dir.write("train.tsv", head);
  TaskSpec task = parse_task("sst2");
  std::vector<Example> dev = read_dataset(shared("data/glue/SST-2/dev.tsv"), task).examples;
  for (const char* text : {"good", "", "unseen-word-xyz", "a"}) {
    Example e;
    e.text_a = text;
    dev.push_back(e);
  }
  const std::string vectors = shared("data/vectors/glove.6B.50d.subset-1000.txt");
  for (const std::string mode : {"rand", "static", "non-static", "multichannel"}) {
    SCOPED_TRACE(mode);
    const std::string student = dir.path("student-" + mode);
    const auto trained = run_cli(
        "student train --task sst2 --train " + train + " --dev " + train + " --out " + student +
        " --epochs 1 --patience 0 --hidden 12 --fc 10 --embedding-dim 16 --threads 2 "
        "--embedding-mode " +
        mode + (mode == "rand" ? "" : " --vectors " + vectors));
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    expect_onnx_equals_predict(dir, student, dev, false);
  }
}

TEST_F(OnnxExportTest, APairStudentRunsInOnnxruntimeAsPredictDoes) {
  test::TempDir dir;
  const std::string spec = "tsv:text_a=sentence_A,text_b=sentence_B,label=entailment_judgment";
  std::istringstream rows(read_file(shared("data/pairs/SICK/SICK.txt")));
  std::string line, head;
  for (int i = 0; i <= 600 && std::getline(rows, line); ++i) head += line + "\n";
  const std::string data = dir.write("sick.tsv", head);
  const std::string student = dir.path("pair-student");
  const auto trained = run_cli("student train --task " + spec + " --train " + data + " --dev " +
                               data + " --out " + student +
                               " --epochs 1 --patience 0 --hidden 10 --fc 12 --embedding-dim 8 "
                               "--batch 32 --threads 2");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  TaskSpec task = parse_task(spec);
  ReadOptions options;
  options.discover_labels = true;
  std::vector<Example> pairs = read_dataset(data, task, options).examples;
  pairs.resize(300);
  for (const auto& [a, b] :
       std::vector<std::pair<std::string, std::string>>{{"dogs", "a dog is running in the park"},
                                                        {"a man is cooking", "cooking"},
                                                        {"x", "y"},
                                                        {"", "nothing on the left"}}) {
    Example e;
    e.text_a = a;
    e.text_b = b;
    pairs.push_back(e);
  }
  expect_onnx_equals_predict(dir, student, pairs, true);
}

TEST_F(OnnxExportTest, BertOrDamagedDirectoriesGetOneErrorAndNoFile) {
  test::TempDir dir;
  const std::string out = dir.path("out.onnx");
  const auto bert =
      run_cli("export --model " + shared("fixtures/bert/tiny-sst2-f32") + " --out " + out);
  EXPECT_NE(bert.exit_code, 0);
  EXPECT_EQ(std::count(bert.err.begin(), bert.err.end(), '\n'), 1) << bert.err;
  EXPECT_NE(bert.err.find("is a BERT directory"), std::string::npos) << bert.err;

  fs::create_directories(dir.path("damaged"));
  dir.write("damaged/config.json", "{\"model_type\": \"bert2bilstm-student\"}");
  const auto damaged = run_cli("export --model " + dir.path("damaged") + " --out " + out);
  EXPECT_NE(damaged.exit_code, 0);
  EXPECT_EQ(std::count(damaged.err.begin(), damaged.err.end(), '\n'), 1) << damaged.err;
  EXPECT_NE(damaged.err.find(dir.path("damaged")), std::string::npos) << damaged.err;

  const auto opset =
      run_cli("export --model " + dir.path("damaged") + " --out " + out + " --opset 99");
  EXPECT_NE(opset.err.find("opset 99 is not supported"), std::string::npos) << opset.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir.path("vocab.txt")));
}

}  // namespace
}  // namespace b2b
