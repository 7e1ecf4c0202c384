// What the fuzz targets (fuzz/, `make fuzz`) found, each kept as a test (the server's in
// test_serve.cpp): the input, rebuilt by
// hand, gets one clear error (or the right empty result), never a crash. Under
// `make test-sanitize` these also show that no undefined behaviour is left on the way.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "io/safetensors_bytes.h"
#include "pos/tagger.h"
#include "student/word_vectors.h"
#include "teacher/bert_config.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

template <typename T>
void append(std::string& bytes, T value) {
  bytes.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// pos_model_fuzz: a weight count so large that count x row size wrapped around to a small
// number passed the size check, and reserving that many rows threw std::bad_array_new_length.
TEST(FuzzRegression, PosModelWithAForgedWeightCountIsTruncatedNotACrash) {
  test::TempDir dir;
  std::string bytes("B2BPOS\0\0", 8);
  append<uint32_t>(bytes, 1);  // format version
  append<uint32_t>(bytes, 1);  // one tag: "X"
  append<uint32_t>(bytes, 1);
  bytes += "X";
  append<uint32_t>(bytes, 0);  // no tag dictionary, classes or lexicon
  append<uint32_t>(bytes, 0);
  append<uint32_t>(bytes, 0);
  append<uint64_t>(bytes, uint64_t{1} << 62);  // x (8 + 4) bytes wraps to 0
  const std::string path = dir.write("forged.pos", bytes);
  EXPECT_EQ(test::error_of([&] { PosTagger::load(path); }), path + ": truncated POS model");
}

// safetensors_fuzz: an F32 tensor with no elements copied from a null pointer (undefined
// behaviour, reported by UBSan); writing one wrote from a null pointer too.
TEST(FuzzRegression, SafetensorsTensorWithNoElementsReadsEmpty) {
  test::TempDir dir;
  const float one = 1.0f;
  write_safetensors(dir.path("empty.safetensors"),
                    {{"empty", "F32", {0, 4}, {}},
                     {"one", "F32", {1}, {reinterpret_cast<const char*>(&one), sizeof one}}});
  const SafetensorsReader reader(dir.path("empty.safetensors"));
  EXPECT_TRUE(reader.floats("empty", {0, 4}).empty());
  EXPECT_EQ(reader.floats("one", {1}), std::vector<float>{1.0f});
}

// word_vectors_fuzz: a word2vec binary header of one field read a second field past the end
// of the list (heap overflow); a dimension larger than the file allocated before checking.
TEST(FuzzRegression, Word2VecBinaryHeadersThatCannotBeTrueAreRefused) {
  test::TempDir dir;
  const float v[2] = {0.5f, 1.0f};
  const std::string row = "the " + std::string(reinterpret_cast<const char*>(v), sizeof v) + "\n";
  for (const std::string header : {"2\n", "1 99999999999999\n", "1 2 3\n"}) {
    const std::string path = dir.write("vectors.bin", header + row);
    const std::string error =
        test::error_of([&] { load_word_vectors(path, VectorsFormat::kWord2VecBinary); });
    EXPECT_NE(error.find(path + ": bad word2vec header"), std::string::npos) << header << error;
  }
  const std::string good = dir.write("good.bin", "1 2\n" + row);
  EXPECT_EQ(load_word_vectors(good, VectorsFormat::kWord2VecBinary).vectors.at("the"),
            std::vector<float>({0.5f, 1.0f}));
}

// config_json_fuzz: a field of the wrong type ("hidden_act": 26) escaped as nlohmann-json's
// type_error, which named neither the file nor the field's place.
TEST(FuzzRegression, BertConfigFieldsOfTheWrongTypeNameTheFile) {
  test::TempDir dir;
  dir.write("config.json", R"({"hidden_size": 8, "num_attention_heads": 2, "hidden_act": 26})");
  EXPECT_NE(test::error_of([&] {
              read_bert_config(dir.path(""));
            }).find("/config.json: bad BERT config: [json.exception.type_error"),
            std::string::npos);
  dir.write("config.json", R"({"hidden_size": 8, "num_attention_heads": 2})");
  dir.write("tokenizer_config.json", R"({"do_lower_case": "yes"})");
  EXPECT_NE(test::error_of([&] {
              read_bert_config(dir.path(""));
            }).find("/tokenizer_config.json: bad tokenizer config: "),
            std::string::npos);
}

}  // namespace
}  // namespace b2b
