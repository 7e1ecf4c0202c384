// The public API (bert2bilstm/classifier.h, c_api.h) in a program that links libbert2bilstm
// alone: no libtorch anywhere in this test binary.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "bert2bilstm/c_api.h"
#include "bert2bilstm/classifier.h"
#include "random_student.h"
#include "test_util.h"

namespace b2b {
namespace {

using test::write_random_student;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ClassifierApi, ClassifiesWithoutLoadingLibtorch) {
  test::TempDir dir;
  write_random_student(dir.path("s"), false, EmbeddingMode::kMultichannel);
  const auto model = Classifier::load(dir.path("s"));
  EXPECT_EQ(model->labels(), (std::vector<std::string>{"0", "1"}));
  EXPECT_FALSE(model->is_pair());
  EXPECT_EQ(model->task(), "sst2");
  const Prediction p = model->classify("a good film");
  ASSERT_EQ(p.probabilities.size(), 2u);
  EXPECT_NEAR(p.probabilities[0] + p.probabilities[1], 1.0, 1e-6);
  EXPECT_EQ(p.label, p.logits[1] > p.logits[0] ? 1 : 0);
  const std::string maps = read_text("/proc/self/maps");
  ASSERT_NE(maps.find("libbert2bilstm"), std::string::npos);  // the check reads the right file
  EXPECT_EQ(maps.find("libtorch"), std::string::npos);
  EXPECT_EQ(maps.find("libc10"), std::string::npos);
}

TEST(ClassifierApi, ATextWithoutWordsIsOneUnknownWord) {
  test::TempDir dir;
  write_random_student(dir.path("s"), false, EmbeddingMode::kRand);
  const auto model = Classifier::load(dir.path("s"));
  const auto unknown = model->logits(std::vector<std::string>{"zzzqqq"});
  for (const std::string text : {"", "   ", "\t"}) {
    EXPECT_EQ(model->logits(std::vector<std::string>{text}), unknown) << "'" << text << "'";
  }
}

// issue 17: a huge text costs no more than max_words words (the first ones are read).
TEST(ClassifierApi, ReadsAtMostMaxWordsOfAText) {
  test::TempDir dir;
  write_random_student(dir.path("s"), false, EmbeddingMode::kRand);
  std::string head, all;
  for (int w = 0; w < 100000; ++w) {
    const std::string word = (w % 3 ? "good " : "bad ");
    all += word;
    if (w < 512) head += word;
  }
  const auto model = Classifier::load(dir.path("s"));
  EXPECT_EQ(model->logits(std::vector<std::string>{all}),
            model->logits(std::vector<std::string>{head}));
  ClassifierOptions unlimited;
  unlimited.max_words = 0;
  const auto whole = Classifier::load(dir.path("s"), unlimited);
  EXPECT_NE(whole->logits(std::vector<std::string>{all.substr(0, 4 * 600)}),
            whole->logits(std::vector<std::string>{head}));
}

TEST(ClassifierApi, ListsAndSingleCallsAgreeAndThreadsShareOneModel) {
  test::TempDir dir;
  write_random_student(dir.path("s"), true, EmbeddingMode::kNonStatic);
  ClassifierOptions options;
  options.max_batch = 3;
  options.threads = 2;
  const auto model = Classifier::load(dir.path("s"), options);
  std::vector<TextPair> pairs;
  const std::vector<std::string> words = {"a", "good", "bad", "film", "unseen", "."};
  std::mt19937 rng(3);
  for (int i = 0; i < 40; ++i) {
    std::string x, y;
    for (size_t w = 0; w < 1 + rng() % 9; ++w) x += words[rng() % words.size()] + " ";
    for (size_t w = 0; w < 1 + rng() % 9; ++w) y += words[rng() % words.size()] + " ";
    pairs.emplace_back(x, y);
  }
  const std::vector<float> all = model->logits(pairs);
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Prediction p = model->classify(pairs[i]);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(p.logits[c], all[i * 3 + c], 1e-6);
  }
  std::vector<std::thread> threads;
  std::vector<std::vector<float>> answers(8);
  for (size_t t = 0; t < answers.size(); ++t)
    threads.emplace_back([&, t] { answers[t] = model->logits(pairs); });
  for (auto& thread : threads) thread.join();
  for (const auto& answer : answers) EXPECT_EQ(answer, all);
}

TEST(ClassifierApi, BadInputIsOneClearError) {
  test::TempDir dir;
  EXPECT_EQ(test::error_of([&] { Classifier::load(dir.path("missing")); }),
            dir.path("missing") + ": no such model directory");
  write_random_student(dir.path("pair"), true, EmbeddingMode::kRand);
  const auto pair = Classifier::load(dir.path("pair"));
  EXPECT_NE(test::error_of([&] { pair->classify("a single sentence"); }).find("sentence pairs"),
            std::string::npos);
  write_random_student(dir.path("single"), false, EmbeddingMode::kStatic);
  const auto single = Classifier::load(dir.path("single"));
  EXPECT_NE(test::error_of([&] {
              single->classify(TextPair{"a", "b"});
            }).find("not pairs"),
            std::string::npos);
  EXPECT_EQ(test::error_of([&] { single->classify(std::string("bad \xff byte")); }),
            "text 0 is not valid UTF-8");

  // Damaged files: each error names the file.
  write_random_student(dir.path("cut"), false, EmbeddingMode::kRand);
  const std::string weights = read_text(dir.path("cut/model.safetensors"));
  dir.write("cut/model.safetensors", weights.substr(0, weights.size() / 2));
  EXPECT_NE(test::error_of([&] {
              Classifier::load(dir.path("cut"));
            }).find(dir.path("cut/model.safetensors")),
            std::string::npos);
  write_random_student(dir.path("modes"), false, EmbeddingMode::kRand);
  auto config = nlohmann::json::parse(read_text(dir.path("modes/config.json")));
  config["embedding_mode"] = "multichannel";  // needs a tensor the file does not hold
  dir.write("modes/config.json", config.dump());
  EXPECT_EQ(test::error_of([&] { Classifier::load(dir.path("modes")); }),
            dir.path("modes/model.safetensors") + ": missing tensor 'embedding_static.weight'");
  dir.write("modes/config.json", "{not json");
  EXPECT_EQ(test::error_of([&] { Classifier::load(dir.path("modes")); }),
            dir.path("modes/config.json") + ": not valid JSON");
  std::filesystem::remove(dir.path("modes/config.json"));
  EXPECT_NE(test::error_of([&] {
              Classifier::load(dir.path("modes"));
            }).find(dir.path("modes/config.json")),
            std::string::npos);
}

TEST(CApi, ClassifiesAndReportsErrorsAsValues) {
  test::TempDir dir;
  write_random_student(dir.path("s"), false, EmbeddingMode::kRand);
  b2b_classifier* model = b2b_load(dir.path("s").c_str());
  ASSERT_NE(model, nullptr) << b2b_last_error();
  EXPECT_EQ(b2b_num_labels(model), 2);
  EXPECT_EQ(b2b_is_pair(model), 0);
  EXPECT_STREQ(b2b_label_name(model, 1), "1");
  EXPECT_EQ(b2b_label_name(model, 2), nullptr);
  float probabilities[2], logits[2];
  const int label = b2b_classify(model, "a good film", probabilities, logits);
  const auto cpp = Classifier::load(dir.path("s"))->classify("a good film");
  EXPECT_EQ(label, cpp.label);
  EXPECT_EQ(std::vector<float>(logits, logits + 2), cpp.logits);
  const char* texts[] = {"a good film", "bad", ""};
  int labels[3];
  float batch_logits[6];
  ASSERT_EQ(b2b_classify_batch(model, texts, nullptr, 3, labels, batch_logits), 0);
  EXPECT_EQ(labels[0], label);
  EXPECT_EQ(batch_logits[0], logits[0]);
  EXPECT_EQ(b2b_classify(model, "bad \xff", nullptr, nullptr), -1);
  EXPECT_STREQ(b2b_last_error(), "text 0 is not valid UTF-8");
  EXPECT_EQ(b2b_classify_pair(model, "a", "b", nullptr, nullptr), -1);
  EXPECT_EQ(b2b_classify(model, nullptr, nullptr, nullptr), -1);
  EXPECT_STREQ(b2b_last_error(), "text is NULL");
  b2b_free(model);
  EXPECT_EQ(b2b_load(dir.path("nothing").c_str()), nullptr);
  EXPECT_EQ(std::string(b2b_last_error()), dir.path("nothing") + ": no such model directory");
  EXPECT_EQ(b2b_num_labels(nullptr), -1);
  EXPECT_STREQ(b2b_last_error(), "model is NULL");
}

}  // namespace
}  // namespace b2b
