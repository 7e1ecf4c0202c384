// The teacher's CPU engine (src/teacher/cpu): fp32 against transformers' outputs in
// ../shared/fixtures/bert; bf16 and int8 against fp32 on the real teacher (argmax agreement,
// dev accuracy); pairs and truncation; the fallback on a CPU without the instructions (capped
// with DNNL_MAX_CPU_ISA); precision in labeled files' records and in `teacher merge`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "data/dataset.h"
#include "io/safetensors.h"
#include "random_student.h"
#include "teacher/cpu/bert_cpu.h"
#include "teacher/inference.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

namespace fs = std::filesystem;
using test::run_cli;
using test::shared;

// The fixture's padded inputs as the unpadded encodings the engine takes.
std::vector<Encoding> fixture_encodings(const SafetensorsFile& reference) {
  const auto ids = reference.get("input_ids"), types = reference.get("token_type_ids"),
             mask = reference.get("attention_mask");
  std::vector<Encoding> out(static_cast<size_t>(ids.size(0)));
  for (int64_t b = 0; b < ids.size(0); ++b) {
    for (int64_t t = 0; t < ids.size(1) && mask[b][t].item<int64_t>() == 1; ++t) {
      out[b].ids.push_back(ids[b][t].item<int64_t>());
      out[b].type_ids.push_back(types[b][t].item<int64_t>());
    }
  }
  return out;
}

void check_fixture(const std::string& name, const std::string& logits_key) {
  const std::string dir = shared("fixtures/bert/" + name);
  Teacher teacher = load_teacher(dir);
  const SafetensorsFile reference(dir + "/reference.safetensors");
  const std::vector<Encoding> encodings = fixture_encodings(reference);
  std::vector<size_t> rows(encodings.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  cpu::BertCpu engine(teacher.model, teacher.config, Precision::fp32);
  const int64_t k = teacher.config.num_labels;
  std::vector<float> logits(rows.size() * static_cast<size_t>(k));
  engine.forward(encodings, rows, logits.data());
  const torch::Tensor expected = reference.get_float(logits_key);
  ASSERT_EQ(expected.numel(), static_cast<int64_t>(logits.size()));
  const float* want = expected.contiguous().data_ptr<float>();
  double worst = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    worst = std::max(worst, double(std::fabs(logits[i] - want[i])));
  EXPECT_LE(worst, 1e-4) << name;
}

TEST(TeacherCpu, Fp32MatchesTransformersOnTheF32Fixture) {
  check_fixture("tiny-sst2-f32", "logits");
}

TEST(TeacherCpu, Fp32MatchesTransformersOnTheF16PairFixture) {
  check_fixture("small-nli-f16", "logits_from_rounded_weights");
}

torch::Tensor logits_at(Teacher& teacher, const std::vector<Example>& examples, bool pair,
                        Precision precision, size_t max_length = 128) {
  TeacherRunOptions run;
  run.precision = precision;
  run.max_length = max_length;
  EXPECT_EQ(prepare_teacher(teacher, run), precision);
  return teacher_logits(teacher, examples, 0, examples.size(), pair, run, nullptr);
}

double agreement(const torch::Tensor& a, const torch::Tensor& b) {
  return a.argmax(1).eq(b.argmax(1)).to(torch::kFloat64).mean().item<double>();
}

double accuracy(const torch::Tensor& logits, const std::vector<Example>& examples) {
  const auto predicted = logits.argmax(1);
  size_t right = 0;
  for (size_t i = 0; i < examples.size(); ++i)
    right += predicted[static_cast<int64_t>(i)].item<int64_t>() == examples[i].label;
  return 100.0 * static_cast<double>(right) / static_cast<double>(examples.size());
}

// The acceptance bar of issue 33: argmax agreement >= 99.5% with fp32, dev accuracy within 0.3.
void check_reduced_precision(Precision precision) {
  std::string why;
  if (runnable_precision(precision, &why) != precision) GTEST_SKIP() << why;
  Teacher teacher = load_teacher(shared("fixtures/teacher/bert-small-imdb-sst2"));
  TaskSpec task = parse_task("sst2");
  const Dataset dev = read_dataset(shared("data/glue/SST-2/dev.tsv"), task);
  const torch::Tensor fp32 = logits_at(teacher, dev.examples, false, Precision::fp32);
  const torch::Tensor reduced = logits_at(teacher, dev.examples, false, precision);
  EXPECT_GE(agreement(fp32, reduced), 0.995) << precision_name(precision);
  EXPECT_NEAR(accuracy(reduced, dev.examples), accuracy(fp32, dev.examples), 0.3);
  EXPECT_NEAR(accuracy(fp32, dev.examples), 85.67, 0.01);  // the fixture's figure
  // Not the same numbers: the reduced precision really ran.
  EXPECT_GT((fp32 - reduced).abs().max().item<double>(), 1e-4);
}

TEST(TeacherCpu, Int8AgreesWithFp32OnSst2Dev) { check_reduced_precision(Precision::int8); }
TEST(TeacherCpu, Bf16AgreesWithFp32OnSst2Dev) { check_reduced_precision(Precision::bf16); }

// Pairs (token types 1) and --max-length truncation: the engine's fp32 equals the libtorch
// model's forward pass (itself checked against transformers) on truncated SICK pairs, and the
// reduced precisions see the same tokens.
TEST(TeacherCpu, PairsAndTruncationMatchTheLibtorchModel) {
  const std::string dir = shared("fixtures/bert/small-nli-f16");
  Teacher teacher = load_teacher(dir);
  const auto texts = nlohmann::json::parse(read_file(dir + "/reference.json"))["texts"];
  std::vector<Example> examples;
  for (const auto& pair : texts) {
    Example e;
    e.text_a = pair[0].get<std::string>();
    e.text_b = pair[1].get<std::string>();
    examples.push_back(e);
  }
  for (size_t max_length : {size_t{128}, size_t{12}}) {
    TeacherRunOptions run;
    run.max_length = max_length;
    teacher.cpu.reset();  // the libtorch model's forward pass
    const torch::Tensor reference =
        teacher_logits(teacher, examples, 0, examples.size(), true, run, nullptr);
    const torch::Tensor fp32 = logits_at(teacher, examples, true, Precision::fp32, max_length);
    EXPECT_LE((reference - fp32).abs().max().item<double>(), 1e-4) << max_length;
    for (Precision p : {Precision::int8, Precision::bf16}) {
      if (runnable_precision(p, nullptr) != p) continue;
      const torch::Tensor reduced = logits_at(teacher, examples, true, p, max_length);
      // Random weights give near ties; the values stay close to fp32's.
      EXPECT_LE((reduced - fp32).abs().max().item<double>(), 0.25) << precision_name(p);
      EXPECT_GE(agreement(fp32, reduced), 0.8) << precision_name(p);
    }
  }
}

std::string sst2_rows(size_t n) {
  std::istringstream in(read_file(shared("data/glue/SST-2/dev.tsv")));
  std::string line, out;
  for (size_t i = 0; i <= n && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

std::vector<double> logits_in(const std::string& labeled) {
  std::istringstream in(read_file(labeled));
  std::string line;
  std::getline(in, line);
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    std::vector<std::string> all;
    while (std::getline(fields, field, '\t')) all.push_back(field);
    out.push_back(std::stod(all[all.size() - 2]));
    out.push_back(std::stod(all[all.size() - 1]));
  }
  return out;
}

std::string label_args(const std::string& input, const std::string& output,
                       const std::string& extra) {
  return "teacher label --model " + shared("fixtures/teacher/bert-small-imdb-sst2") +
         " --task sst2 --input " + input + " --output " + output + " --threads 1 " + extra;
}

// A CPU without VNNI or AVX512_BF16, emulated by capping oneDNN's instruction set: one line
// says what runs instead, and the labels are fp32's.
TEST(TeacherCpu, ACpuWithoutTheInstructionsFallsBackToFp32WithOneLine) {
  test::TempDir dir;
  const std::string input = dir.write("in.tsv", sst2_rows(200));
  ASSERT_EQ(run_cli(label_args(input, dir.path("fp32.tsv"), "")).exit_code, 0);
  for (const std::string precision : {"int8", "bf16"}) {
    const std::string out = dir.path(precision + ".tsv");
    // The child inherits it; this process's oneDNN read its own setting at first use.
    ::setenv("DNNL_MAX_CPU_ISA", "AVX2", 1);
    const auto result = run_cli(label_args(input, out, "--precision " + precision));
    ::unsetenv("DNNL_MAX_CPU_ISA");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("warning: --precision " + precision + ": this CPU has"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("computing in fp32"), std::string::npos) << result.err;
    const auto want = logits_in(dir.path("fp32.tsv")), got = logits_in(out);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4) << i;
  }
}

// Slices of one sharded run labeled at two precisions are refused by name.
TEST(TeacherCpu, MergeRefusesSlicesOfMixedPrecision) {
  if (runnable_precision(Precision::int8, nullptr) != Precision::int8)
    GTEST_SKIP() << "no int8 on this CPU: both slices would be fp32";
  test::TempDir dir;
  const std::string input = dir.write("in.tsv", sst2_rows(40));
  ASSERT_EQ(run_cli(label_args(input, dir.path("out.0"), "--chunk-rows 10 --shard 0/2")).exit_code,
            0);
  ASSERT_EQ(
      run_cli(label_args(input, dir.path("out.1"), "--chunk-rows 10 --shard 1/2 --precision int8"))
          .exit_code,
      0);
  const auto record = nlohmann::json::parse(read_file(dir.path("out.1.shard.json")));
  EXPECT_EQ(record["run"]["precision"], "int8");
  const auto merged = run_cli("teacher merge --input-glob '" + dir.path("out.*") + "' --output " +
                              dir.path("merged.tsv"));
  EXPECT_NE(merged.exit_code, 0);
  EXPECT_NE(merged.err.find("labeled at precision"), std::string::npos) << merged.err;
  EXPECT_FALSE(fs::exists(dir.path("merged.tsv")));
}

TEST(TeacherCpu, PrecisionIsRefusedForAStudentAndForUnknownValues) {
  test::TempDir dir;
  const auto unknown =
      run_cli(label_args(dir.write("in.tsv", sst2_rows(5)), dir.path("o.tsv"), "--precision fp16"));
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("--precision"), std::string::npos) << unknown.err;
  test::write_random_student(dir.path("student"), false, EmbeddingMode::kRand);
  const auto predict =
      run_cli("predict --model " + dir.path("student") + " --precision int8", "a good film\n");
  EXPECT_NE(predict.exit_code, 0);
  EXPECT_NE(predict.err.find("is a student directory"), std::string::npos) << predict.err;
  const auto eval = run_cli("eval --model " + dir.path("student") + " --data " +
                            dir.write("dev.tsv", sst2_rows(5)) + " --precision bf16");
  EXPECT_NE(eval.exit_code, 0);
  EXPECT_NE(eval.err.find("is a student directory"), std::string::npos) << eval.err;
}

}  // namespace
}  // namespace b2b
