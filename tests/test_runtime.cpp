// The BLAS runtime against the libtorch model it replaces for inference: the same weights
// (saved by the libtorch side, read by the runtime), the same word ids, logits within 1e-5.
#include <gtest/gtest.h>

#include <random>

#include "runtime/student_runtime.h"
#include "student/batching.h"
#include "student/checkpoint.h"
#include "student/model.h"
#include "test_util.h"

namespace b2b {
namespace {

struct Shape {
  EmbeddingMode mode;
  bool pair;
  int64_t embedding_dim, hidden, fc;
};

StudentConfig config_of(const Shape& s) {
  StudentConfig c;
  c.task = parse_task(s.pair ? "mnli" : "sst2");
  c.embedding_mode = s.mode;
  c.vocab_size = 500;
  c.embedding_dim = s.embedding_dim;
  c.hidden_size = s.hidden;
  c.fc_size = s.fc;
  return c;
}

// A vocabulary of config.vocab_size words, as the directory must hold.
Vocabulary vocabulary_of(const StudentConfig& config) {
  std::unordered_map<std::string, int64_t> counts;
  for (int64_t i = 3; i < config.vocab_size; ++i) counts["w" + std::to_string(i)] = 1;
  return Vocabulary::build(counts);
}

std::vector<int64_t> random_ids(std::mt19937& rng, size_t length, int64_t vocab) {
  std::uniform_int_distribution<int64_t> id(0, vocab - 1);  // padding and [UNK] ids included
  std::vector<int64_t> ids(length);
  for (auto& v : ids) v = id(rng);
  return ids;
}

// Saves a random-weight libtorch student, reads it back with the runtime, and compares the
// logits of `n` random examples with lengths drawn from [1, max_length].
void expect_runtime_matches_libtorch(const Shape& shape, size_t n, size_t max_length,
                                     uint32_t seed) {
  SCOPED_TRACE("mode " + embedding_mode_name(shape.mode) + (shape.pair ? ", pair" : "") +
               ", batch " + std::to_string(n));
  torch::manual_seed(seed);
  const StudentConfig config = config_of(shape);
  StudentModel model(config);
  model->eval();
  test::TempDir dir;
  save_student(dir.path("student"), config, vocabulary_of(config), model);
  const StudentDirectory directory = read_student_directory(dir.path("student"));

  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> length(1, max_length);
  std::vector<EncodedExample> examples(n);
  std::vector<const std::vector<int64_t>*> a, b;
  for (auto& e : examples) {
    e.a = random_ids(rng, length(rng), config.vocab_size);
    if (shape.pair) e.b = random_ids(rng, length(rng), config.vocab_size);
  }
  for (auto& e : examples) {
    a.push_back(&e.a);
    if (shape.pair) b.push_back(&e.b);
  }
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  torch::NoGradGuard no_grad;
  const torch::Tensor expected = model->forward(collate(examples, all)).contiguous();
  const int64_t k = config.num_labels();
  for (const bool project : {true, false}) {  // the vocabulary's projections made at load, or not
    SCOPED_TRACE(project ? "projected vocabulary" : "word vectors");
    const StudentRuntime runtime(directory.config, *directory.weights, {project});
    ASSERT_EQ(runtime.projects_vocabulary(), project);
    std::vector<float> actual(n * k);
    runtime.logits(a, b, actual.data());
    const torch::Tensor got = torch::from_blob(actual.data(), {static_cast<int64_t>(n), k});
    EXPECT_LE((got - expected).abs().max().item<float>(), 1e-5);
    EXPECT_TRUE(torch::equal(got.argmax(1), expected.argmax(1)));
  }
}

const EmbeddingMode kModes[] = {EmbeddingMode::kRand, EmbeddingMode::kStatic,
                                EmbeddingMode::kNonStatic, EmbeddingMode::kMultichannel};

TEST(StudentRuntime, EqualsLibtorchForEveryModeSingleAndPairAndBatchSize) {
  for (const EmbeddingMode mode : kModes) {
    for (const bool pair : {false, true}) {
      const Shape shape{mode, pair, 24, 16, 20};
      for (const size_t n : {1, 2, 7, 64, 1000})
        expect_runtime_matches_libtorch(shape, n, 300, 11 + static_cast<uint32_t>(n));
    }
  }
}

TEST(StudentRuntime, EqualsLibtorchAtThePapersSizes) {
  // SST-2: 300-d embeddings, H 150, F 200; pair tasks: H 300, F 400.
  expect_runtime_matches_libtorch({EmbeddingMode::kMultichannel, false, 300, 150, 200}, 50, 300, 1);
  expect_runtime_matches_libtorch({EmbeddingMode::kRand, true, 300, 300, 400}, 20, 120, 2);
}

TEST(StudentRuntime, EqualsLibtorchForEveryLengthFromOneTo300) {
  torch::manual_seed(5);
  const Shape shape{EmbeddingMode::kNonStatic, false, 16, 8, 8};
  // One batch holding each length once, so every step sees the active rows shrink.
  expect_runtime_matches_libtorch(shape, 300, 300, 5);
  for (const size_t length : {1, 2, 3, 299, 300})
    expect_runtime_matches_libtorch(shape, 1, length, 7);
}

TEST(StudentRuntime, CountsParametersAsTheLibtorchModel) {
  for (const EmbeddingMode mode : kModes) {
    const StudentConfig config = config_of({mode, true, 24, 16, 20});
    StudentModel model(config);
    test::TempDir dir;
    save_student(dir.path("s"), config, vocabulary_of(config), model);
    const StudentDirectory directory = read_student_directory(dir.path("s"));
    const StudentRuntime runtime(directory.config, *directory.weights);
    EXPECT_EQ(runtime.parameters(true), model->count_parameters(true));
    EXPECT_EQ(runtime.parameters(false), model->count_parameters(false));
  }
}

TEST(StudentRuntime, RefusesIdsOutsideTheVocabulary) {
  const StudentConfig config = config_of({EmbeddingMode::kRand, false, 8, 4, 4});
  StudentModel model(config);
  test::TempDir dir;
  save_student(dir.path("s"), config, vocabulary_of(config), model);
  const StudentDirectory directory = read_student_directory(dir.path("s"));
  const StudentRuntime runtime(directory.config, *directory.weights);
  const StudentRuntime unprojected(directory.config, *directory.weights, {false});
  const std::vector<int64_t> bad = {3, 500};
  float out[2];
  for (const StudentRuntime* r : {&runtime, &unprojected}) {
    EXPECT_EQ(test::error_of([&] { r->logits({&bad}, {}, out); }),
              "word id 500 is outside the vocabulary of 500");
  }
}

}  // namespace
}  // namespace b2b
