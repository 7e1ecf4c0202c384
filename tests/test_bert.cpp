// The BERT forward pass against transformers' outputs saved in ../shared/fixtures/bert.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "teacher/teacher.h"
#include "test_util.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {
namespace {

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// Compares only real tokens: transformers' hidden states at padding are not meaningful.
double max_diff_masked(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  const auto keep = mask.to(torch::kBool).unsqueeze(-1).expand_as(a);
  return (a - b).abs().masked_select(keep).max().item<double>();
}

// hidden_tolerance: the F16 fixture's hidden states were computed from the float32 weights
// before rounding; only its logits_from_rounded_weights reflect the saved F16 weights.
void check_fixture(const std::string& name, const std::string& logits_key,
                   double hidden_tolerance) {
  const std::string dir = test::shared("fixtures/bert/" + name);
  Teacher teacher = load_teacher(dir);
  const SafetensorsFile reference(dir + "/reference.safetensors");
  const auto ids = reference.get("input_ids"), types = reference.get("token_type_ids");
  const auto mask = reference.get("attention_mask");
  torch::NoGradGuard no_grad;
  const BertOutputs out = teacher.model->forward_all(ids, types, mask);
  EXPECT_LE(max_diff(out.logits, reference.get_float(logits_key)), 1e-4) << name;
  EXPECT_LE(max_diff_masked(out.last_hidden_state, reference.get_float("last_hidden_state"), mask),
            hidden_tolerance)
      << name;
  EXPECT_LE(max_diff_masked(out.embedding_output, reference.get_float("embedding_output"), mask),
            hidden_tolerance)
      << name;
}

TEST(Bert, MatchesTransformersOnTheF32Fixture) { check_fixture("tiny-sst2-f32", "logits", 1e-4); }

TEST(Bert, MatchesTransformersOnTheF16Fixture) {
  check_fixture("small-nli-f16", "logits_from_rounded_weights", 1e-2);
}

TEST(Bert, TokenizerReproducesTheFixtureInputs) {
  const std::string dir = test::shared("fixtures/bert/tiny-sst2-f32");
  Teacher teacher = load_teacher(dir);
  const SafetensorsFile reference(dir + "/reference.safetensors");
  const auto ids = reference.get("input_ids");
  const auto texts = nlohmann::json::parse(read_file(dir + "/reference.json"))["texts"];
  ASSERT_EQ(static_cast<int64_t>(texts.size()), ids.size(0));
  for (int64_t i = 0; i < ids.size(0); ++i) {
    const Encoding e = teacher.tokenizer.encode(texts[i].get<std::string>(), std::nullopt, 128);
    const auto row = ids[i].slice(0, 0, static_cast<int64_t>(e.ids.size()));
    EXPECT_TRUE(torch::equal(row, torch::tensor(e.ids, torch::kInt64))) << texts[i];
  }
}

// A copy of the F32 fixture with one file replaced.
std::string broken_copy(const test::TempDir& dir, const std::string& name, const std::string& file,
                        const std::string& content) {
  namespace fs = std::filesystem;
  const std::string out = dir.path(name);
  fs::copy(test::shared("fixtures/bert/tiny-sst2-f32"), out);
  if (content.empty()) {
    fs::remove(out + "/" + file);
  } else {
    std::ofstream(out + "/" + file, std::ios::binary | std::ios::trunc) << content;
  }
  return out;
}

TEST(Bert, BrokenCheckpointsGiveClearErrors) {
  test::TempDir dir;
  const std::string weights =
      read_file(test::shared("fixtures/bert/tiny-sst2-f32/model.safetensors"));
  const std::string config = read_file(test::shared("fixtures/bert/tiny-sst2-f32/config.json"));

  const auto truncated =
      broken_copy(dir, "truncated", "model.safetensors", weights.substr(0, weights.size() - 100));
  EXPECT_NE(test::error_of([&] { load_teacher(truncated); }).find("truncated"), std::string::npos);

  const auto no_vocab = broken_copy(dir, "no-vocab", "vocab.txt", "");
  EXPECT_EQ(test::error_of([&] { load_teacher(no_vocab); }), no_vocab + "/vocab.txt: no such file");

  const auto no_weights = broken_copy(dir, "no-weights", "model.safetensors", "");
  EXPECT_NE(
      test::error_of([&] { load_teacher(no_weights); }).find("model.safetensors: no such file"),
      std::string::npos);

  nlohmann::json wrong = nlohmann::json::parse(config);
  wrong["intermediate_size"] = 128;
  const auto shape = broken_copy(dir, "shape", "config.json", wrong.dump());
  EXPECT_NE(
      test::error_of([&] { load_teacher(shape); }).find("has shape [256, 64], expected [128, 64]"),
      std::string::npos);

  wrong = nlohmann::json::parse(config);
  wrong["hidden_act"] = "relu";
  const auto act = broken_copy(dir, "act", "config.json", wrong.dump());
  EXPECT_NE(test::error_of([&] { load_teacher(act); }).find("hidden_act 'relu' is not supported"),
            std::string::npos);

  wrong = nlohmann::json::parse(config);
  wrong["position_embedding_type"] = "relative_key";
  const auto relative = broken_copy(dir, "relative", "config.json", wrong.dump());
  EXPECT_EQ(test::error_of([&] { load_teacher(relative); }),
            relative +
                "/config.json: position_embedding_type 'relative_key' is not supported (only "
                "absolute, as BERT)");

  wrong = nlohmann::json::parse(config);
  wrong["hidden_dropout_prob"] = 1.5;
  const auto dropout = broken_copy(dir, "dropout", "config.json", wrong.dump());
  EXPECT_EQ(test::error_of([&] { load_teacher(dropout); }),
            dropout + "/config.json: hidden_dropout_prob is not in [0, 1)");

  // A tensor missing from the file: rewrite it without the classifier bias.
  const SafetensorsFile file(test::shared("fixtures/bert/tiny-sst2-f32/model.safetensors"));
  NamedTensors kept;
  for (const auto& [name, entry] : file.entries()) {
    if (name != "classifier.bias") kept.emplace_back(name, file.get(name));
  }
  const auto missing = broken_copy(dir, "missing", "config.json", config);
  save_safetensors(missing + "/model.safetensors", kept);
  EXPECT_EQ(test::error_of([&] { load_teacher(missing); }),
            missing + "/model.safetensors: missing tensor 'classifier.bias'");

  // Offsets past the end, with the file size unchanged.
  std::string bad_offsets = weights;
  const size_t at = bad_offsets.find("\"data_offsets\":[0,");
  ASSERT_NE(at, std::string::npos);
  bad_offsets.replace(at, 18, "\"data_offsets\":[9,");
  const auto offsets = broken_copy(dir, "offsets", "model.safetensors", bad_offsets);
  EXPECT_NE(test::error_of([&] { load_teacher(offsets); }).find("data_offsets span"),
            std::string::npos);
}

}  // namespace
}  // namespace b2b
