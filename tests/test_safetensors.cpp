#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "test_util.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {
namespace {

// A file from a hand-written header and data section.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

TEST(Safetensors, RoundTripsTensorsOfEveryDtypeWeUse) {
  test::TempDir dir;
  const auto f32 = torch::randn({3, 4});
  const auto f16 = torch::randn({5}).to(torch::kFloat16);
  const auto bf16 = torch::randn({2, 2}).to(torch::kBFloat16);
  const auto i64 = torch::arange(7, torch::kInt64);
  save_safetensors(dir.path("m.safetensors"),
                   {{"a.weight", f32}, {"h", f16}, {"b", bf16}, {"ids", i64}}, {{"format", "pt"}});
  const SafetensorsFile file(dir.path("m.safetensors"));
  EXPECT_TRUE(torch::equal(file.get("a.weight"), f32));
  EXPECT_TRUE(torch::equal(file.get("h"), f16));
  EXPECT_TRUE(torch::equal(file.get_float("h"), f16.to(torch::kFloat32)));
  EXPECT_TRUE(torch::equal(file.get_float("b"), bf16.to(torch::kFloat32)));
  EXPECT_TRUE(torch::equal(file.get("ids"), i64));
  EXPECT_EQ(file.metadata().at("format"), "pt");
}

TEST(Safetensors, ReadsTheHuggingFaceFixture) {
  const SafetensorsFile file(test::shared("fixtures/bert/tiny-sst2-f32/model.safetensors"));
  const auto w = file.get_float("bert.embeddings.word_embeddings.weight", {30522, 64});
  EXPECT_EQ(w.size(0), 30522);
  EXPECT_TRUE(torch::isfinite(w).all().item<bool>());
}

TEST(Safetensors, RejectsCorruptFiles) {
  test::TempDir dir;
  save_safetensors(dir.path("ok.safetensors"), {{"w", torch::ones({4, 4})}});
  const std::string good = read_file(dir.path("ok.safetensors"));

  const std::string truncated =
      dir.write("truncated.safetensors", good.substr(0, good.size() - 10));
  EXPECT_NE(test::error_of([&] { SafetensorsFile f(truncated); }).find("truncated"),
            std::string::npos);

  const std::string tiny = dir.write("tiny.safetensors", "abc");
  EXPECT_EQ(test::error_of([&] { SafetensorsFile f(tiny); }),
            tiny + ": too short for a safetensors file (truncated?)");

  const std::string huge_header =
      dir.write("huge.safetensors", make_file("{}", "").replace(0, 1, "\xff"));
  EXPECT_NE(test::error_of([&] { SafetensorsFile f(huge_header); }).find("exceeds the file size"),
            std::string::npos);

  const std::string offsets =
      dir.write("offsets.safetensors",
                make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,800]}})",
                          std::string(8, '\0')));
  EXPECT_NE(test::error_of([&] { SafetensorsFile f(offsets); }).find("data section has 8 bytes"),
            std::string::npos);

  const std::string mismatch = dir.write(
      "shape.safetensors",
      make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')));
  EXPECT_NE(test::error_of([&] { SafetensorsFile f(mismatch); }).find("shape needs 12"),
            std::string::npos);

  const std::string dtype =
      dir.write("dtype.safetensors",
                make_file(R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})",
                          std::string(2, '\0')));
  EXPECT_EQ(test::error_of([&] { SafetensorsFile f(dtype); }),
            dtype + ": tensor 'w': unsupported dtype F8_E4M3");

  const std::string json = dir.write("json.safetensors", make_file("{not json", ""));
  EXPECT_EQ(test::error_of([&] { SafetensorsFile f(json); }),
            json + ": safetensors header is not a JSON object");

  const SafetensorsFile file(dir.path("ok.safetensors"));
  EXPECT_EQ(test::error_of([&] { file.get("missing"); }),
            dir.path("ok.safetensors") + ": missing tensor 'missing'");
  EXPECT_NE(test::error_of([&] {
              file.get_float("w", {4, 5});
            }).find("has shape [4, 4], expected [4, 5]"),
            std::string::npos);
}

}  // namespace
}  // namespace b2b
