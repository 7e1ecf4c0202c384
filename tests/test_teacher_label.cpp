// The teacher from the command line: `teacher label` end to end (output layout, resuming a
// killed run, shards, bad input), `tokenize`, and `eval`/`predict` on BERT directories.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "io/safetensors.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

namespace fs = std::filesystem;
using test::run_cli;
using test::shared;

std::string sst2_rows(size_t n) {
  std::istringstream in(read_file(shared("data/glue/SST-2/train.tsv")));
  std::string line, out;
  for (size_t i = 0; i <= n && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string label_args(const std::string& input, const std::string& output,
                       const std::string& extra = "") {
  return "teacher label --model " + shared("fixtures/bert/tiny-sst2-f32") +
         " --task sst2 --input " + input + " --output " + output + " --threads 1 --batch 16 " +
         extra;
}

TEST(TeacherLabel, WritesEveryRowInOrderWithRoundTrippingLogits) {
  test::TempDir dir;
  const std::string input = dir.write("in.tsv", sst2_rows(300));
  const auto result = run_cli(label_args(input, dir.path("out.tsv")));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto in = lines_of(read_file(input)), out = lines_of(read_file(dir.path("out.tsv")));
  ASSERT_EQ(out.size(), in.size());
  EXPECT_EQ(out[0], "sentence\tlabel\tlogit_0\tlogit_1");
  for (size_t i = 1; i < in.size(); ++i) EXPECT_EQ(out[i].rfind(in[i] + "\t", 0), 0u) << i;
  EXPECT_FALSE(fs::exists(dir.path("out.tsv.partial")));
  EXPECT_FALSE(fs::exists(dir.path("out.tsv.progress")));
}

TEST(TeacherLabel, ResumesAKilledRunWithoutLosingOrRepeatingRows) {
  test::TempDir dir;
  const std::string input = dir.write("in.tsv", sst2_rows(20000));
  const std::string output = dir.path("out.tsv");
  ASSERT_EQ(run_cli(label_args(input, dir.path("clean.tsv"), "--chunk-rows 500")).exit_code, 0);

  // Start in the background, wait for the first finished chunk, kill it hard.
  const std::string command = std::string(B2B_BINARY) + " " +
                              label_args(input, output, "--chunk-rows 500") +
                              " > /dev/null 2>&1 & echo $! > " + dir.path("pid");
  ASSERT_EQ(std::system(command.c_str()), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(output + ".progress") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const pid_t pid = std::stoi(read_file(dir.path("pid")));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_FALSE(fs::exists(output)) << "the run finished before it could be killed";
  ASSERT_TRUE(fs::exists(output + ".partial"));

  const auto resumed = run_cli(label_args(input, output, "--chunk-rows 500"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumed after"), std::string::npos) << resumed.err;
  EXPECT_EQ(read_file(output), read_file(dir.path("clean.tsv")));
}

TEST(TeacherLabel, ShardsConcatenateToTheUnshardedOutput) {
  test::TempDir dir;
  const std::string input = dir.write("in.tsv", sst2_rows(1000));
  ASSERT_EQ(run_cli(label_args(input, dir.path("all.tsv"), "--chunk-rows 100")).exit_code, 0);
  std::vector<std::string> joined = {"header"};
  for (int i = 0; i < 3; ++i) {
    const std::string part = dir.path("part" + std::to_string(i) + ".tsv");
    const auto result =
        run_cli(label_args(input, part, "--chunk-rows 100 --shard " + std::to_string(i) + "/3"));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto rows = lines_of(read_file(part));
    EXPECT_GT(rows.size(), 300u);  // 10 chunks of 100 rows over 3 shards
    joined.insert(joined.end(), rows.begin() + 1, rows.end());  // each shard has the header
  }
  auto all = lines_of(read_file(dir.path("all.tsv")));
  all[0] = "header";
  EXPECT_EQ(joined, all);
}

// `bert2bilstm <args>` with `env` ("NAME=value ...") set, as a scheduler would start it.
test::CommandResult run_with_env(const test::TempDir& dir, const std::string& env,
                                 const std::string& args) {
  const std::string command = "env " + env + " " + std::string(B2B_BINARY) + " " + args + " > " +
                              dir.path("env.out") + " 2> " + dir.path("env.err");
  const int status = std::system(command.c_str());
  test::CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = read_file(dir.path("env.err"));
  return result;
}

// issue 18: a 4-task Slurm array (its environment, as sbatch --array=1-4 sets it) labels 2,000
// SST-2 rows; `teacher merge` of the slices equals the unsharded output byte for byte, and
// refuses a missing, a duplicated and a foreign slice. A Kubernetes Indexed Job's variable
// gives the same slice.
TEST(TeacherMerge, SlicesFromAnArrayJobMergeToTheUnshardedFileAndBadSetsAreRefused) {
  test::TempDir dir;
  const std::string input = dir.write("in.tsv", sst2_rows(2000));
  fs::create_directories(dir.path("slices"));
  ASSERT_EQ(run_cli(label_args(input, dir.path("whole.tsv"), "--chunk-rows 100")).exit_code, 0);
  for (int task = 1; task <= 4; ++task) {
    const auto labeled = run_with_env(
        dir,
        "SLURM_ARRAY_TASK_ID=" + std::to_string(task) +
            " SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4",
        label_args(input, dir.path("slices/labeled.shard-" + std::to_string(task) + ".tsv"),
                   "--chunk-rows 100"));
    ASSERT_EQ(labeled.exit_code, 0) << labeled.err;
    EXPECT_NE(labeled.err.find("label: shard " + std::to_string(task - 1) +
                               "/4 (from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT)"),
              std::string::npos)
        << labeled.err;
  }
  const std::string glob = "'" + dir.path("slices/labeled.shard-*.tsv") + "'";
  const auto merged =
      run_cli("teacher merge --input-glob " + glob + " --output " + dir.path("merged.tsv"));
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_TRUE(read_file(dir.path("merged.tsv")) == read_file(dir.path("whole.tsv")));

  // Kubernetes: JOB_COMPLETION_INDEX with the Job's completions as --shard-count.
  const auto indexed =
      run_with_env(dir, "JOB_COMPLETION_INDEX=3",
                   label_args(input, dir.path("k8s-3.tsv"), "--chunk-rows 100 --shard-count 4"));
  ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  EXPECT_TRUE(read_file(dir.path("k8s-3.tsv")) ==
              read_file(dir.path("slices/labeled.shard-4.tsv")));

  auto expect_refused = [&](const std::string& needle) {
    const auto result =
        run_cli("teacher merge --input-glob " + glob + " --output " + dir.path("refused.tsv"));
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_NE(result.err.find(needle), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(dir.path("refused.tsv")));
  };
  // A duplicated slice.
  const std::string copy = dir.path("slices/labeled.shard-2b.tsv");
  fs::copy(dir.path("slices/labeled.shard-2.tsv"), copy);
  fs::copy(dir.path("slices/labeled.shard-2.tsv.shard.json"), copy + ".shard.json");
  expect_refused("are both shard 1/4");
  fs::remove(copy);
  fs::remove(copy + ".shard.json");
  // A slice from another model (the same weights in another directory: another run).
  fs::copy(shared("fixtures/bert/tiny-sst2-f32"), dir.path("other-model"));
  const std::string moved = dir.path("slice-3.tsv");
  fs::rename(dir.path("slices/labeled.shard-3.tsv"), moved);
  fs::rename(dir.path("slices/labeled.shard-3.tsv.shard.json"), moved + ".shard.json");
  std::string other =
      label_args(input, dir.path("slices/labeled.shard-3.tsv"), "--chunk-rows 100 --shard 2/4");
  other.replace(other.find(shared("fixtures/bert/tiny-sst2-f32")),
                shared("fixtures/bert/tiny-sst2-f32").size(), dir.path("other-model"));
  ASSERT_EQ(run_cli(other).exit_code, 0);
  expect_refused("is a slice of another run");
  fs::remove(dir.path("slices/labeled.shard-3.tsv"));
  fs::remove(dir.path("slices/labeled.shard-3.tsv.shard.json"));
  // A missing slice.
  expect_refused("shard 2/4 is missing");
  fs::rename(moved, dir.path("slices/labeled.shard-3.tsv"));
  fs::rename(moved + ".shard.json", dir.path("slices/labeled.shard-3.tsv.shard.json"));
  ASSERT_EQ(run_cli("teacher merge --input-glob " + glob + " --output " + dir.path("again.tsv"))
                .exit_code,
            0);
  EXPECT_TRUE(read_file(dir.path("again.tsv")) == read_file(dir.path("whole.tsv")));
}

// issue 18: the same against a real single-node Slurm (scripts/slurm_local.sh starts and
// stops it): deploy/slurm/label.sbatch as a 4-task array, merged, equals the unsharded file.
TEST(TeacherMerge, ARealSlurmArrayRunsTheRecipe) {
  test::TempDir dir;
  const std::string slurm = dir.path("slurm");
  const std::string script = std::string(B2B_SOURCE_DIR) + "/scripts/slurm_local.sh";
  const std::string start =
      "timeout 60 " + script + " start " + slurm + " > " + dir.path("slurm.out") + " 2>&1";
  if (std::system(start.c_str()) != 0) {
    std::system((script + " stop " + slurm + " > /dev/null 2>&1").c_str());
    GTEST_SKIP() << "Slurm could not start here (scripts/setup.sh --test installs slurmctld, slurmd "
                    "and munge; "
                 << read_file(dir.path("slurm.out")) << ")";
  }
  struct Stop {
    std::string command;
    ~Stop() { std::system(command.c_str()); }
  } stop{script + " stop " + slurm + " > /dev/null 2>&1"};

  const std::string input = dir.write("in.tsv", sst2_rows(2000));
  ASSERT_EQ(run_cli(label_args(input, dir.path("whole.tsv"), "--chunk-rows 100")).exit_code, 0);
  const std::string bin_dir = fs::path(B2B_BINARY).parent_path().string();
  const std::string submit =
      "cd " + dir.path("") + " && SLURM_CONF=" + slurm + "/slurm.conf PATH=" + bin_dir +
      ":$PATH B2B_LABEL_FLAGS='--chunk-rows 100 --batch 16' timeout 240 sbatch --wait "
      "--array=0-3 --cpus-per-task=1 --mem=200M --export=ALL " +
      B2B_SOURCE_DIR + "/deploy/slurm/label.sbatch " + shared("fixtures/bert/tiny-sst2-f32") +
      " sst2 " + input + " " + dir.path("labels") + " > " + dir.path("sbatch.out") + " 2>&1";
  ASSERT_EQ(std::system(submit.c_str()), 0) << read_file(dir.path("sbatch.out"));
  const auto merged = run_cli("teacher merge --input-glob '" + dir.path("labels") +
                              "/labeled.shard-*.tsv' --output " + dir.path("merged.tsv"));
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_NE(merged.err.find("merged 4 shards, 2000 rows"), std::string::npos) << merged.err;
  EXPECT_TRUE(read_file(dir.path("merged.tsv")) == read_file(dir.path("whole.tsv")));
}

TEST(TeacherLabel, BadInputIsOneClearError) {
  test::TempDir dir;
  const std::string input = dir.write("in.tsv", sst2_rows(20));
  auto expect_error = [&](const test::CommandResult& r, const std::string& needle) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  };
  expect_error(run_cli(label_args(input, dir.path("o1.tsv"), "--shard 3/3")), "--shard");
  expect_error(run_cli(label_args(input, dir.path("o2.tsv"), "--device cuda")), "--device cuda");
  expect_error(run_cli("teacher label --model " + dir.path("none") + " --task sst2 --input " +
                       input + " --output " + dir.path("o3.tsv")),
               "no such model directory");
  expect_error(run_cli("teacher label --model " + shared("fixtures/bert/small-nli-f16") +
                       " --task sst2 --input " + input + " --output " + dir.path("o4.tsv")),
               "has 3 labels but task sst2 has 2");
  expect_error(run_cli(label_args(input, dir.path("o5.tsv"), "--max-length 0")),
               "--max-length 0: give at least 3");
  expect_error(
      run_cli("teacher label --model " + shared("fixtures/bert/tiny-sst2-f32") +
              " --task sst2 --input " + input + " --output " + dir.path("o6.tsv") + " --batch 0"),
      "--batch: expected a positive integer, got 0");
  expect_error(run_cli("distill --task sst2 --data " + shared("data/glue/SST-2") + " --teacher " +
                       shared("fixtures/bert/tiny-sst2-f32") + " --conllu none --out " +
                       dir.path("o7") + " --max-length 1"),
               "--max-length 1");
  for (const char* o : {"o1.tsv", "o2.tsv", "o3.tsv", "o4.tsv", "o5.tsv", "o6.tsv", "o7"})
    EXPECT_FALSE(fs::exists(dir.path(o))) << o;
}

// issue 32: files without labels, read through a task that names no label column; the label
// names come from the teacher, and a label it cannot produce is an error naming it.
TEST(TeacherLabel, FilesWithoutALabelColumnTakeTheTeachersLabels) {
  test::TempDir dir;
  const std::string pairs =
      dir.write("pairs.tsv", "q1\tq2\nA man is eating.\tA person eats.\nIs it red?\tIt is blue.\n");
  auto result = run_cli("teacher label --model " + shared("fixtures/bert/small-nli-f16") +
                        " --task tsv:text_a=q1,text_b=q2 --input " + pairs + " --output " +
                        dir.path("pairs.out.tsv") + " --threads 1");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto out = lines_of(read_file(dir.path("pairs.out.tsv")));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "q1\tq2\tlabel\tlogit_0\tlogit_1\tlogit_2");
  EXPECT_EQ(out[1].rfind("A man is eating.\tA person eats.\t\t", 0), 0u) << out[1];

  const std::string single = dir.write("single.tsv", "sentence\nfine\nawful\n");
  result = run_cli("teacher label --model " + shared("fixtures/bert/tiny-sst2-f32") +
                   " --task tsv:text_a=sentence --input " + single + " --output " +
                   dir.path("single.out.tsv") + " --threads 1");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(lines_of(read_file(dir.path("single.out.tsv")))[0],
            "sentence\tlabel\tlogit_0\tlogit_1");

  // A placeholder in the label column: "0" is a label the teacher has, so it stays; "x" is not.
  const std::string zero = dir.write("zero.tsv", "sentence\tlabel\nfine\t0\nawful\t0\n");
  result = run_cli("teacher label --model " + shared("fixtures/bert/tiny-sst2-f32") +
                   " --task tsv:text_a=sentence,label=label --input " + zero + " --output " +
                   dir.path("zero.out.tsv") + " --threads 1");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string x = dir.write("x.tsv", "sentence\tlabel\nfine\tx\n");
  result = run_cli("teacher label --model " + shared("fixtures/bert/tiny-sst2-f32") +
                   " --task tsv:text_a=sentence,label=label --input " + x + " --output " +
                   dir.path("x.out.tsv") + " --threads 1");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("x.tsv:2: unknown label 'x' (expected one of: 0, 1)"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(dir.path("x.out.tsv")));
  // A command that needs gold labels says so of a task without a label column.
  result = run_cli("student train --task tsv:text_a=sentence --train " + single + " --dev " +
                   single + " --out " + dir.path("student"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("names no label column"), std::string::npos) << result.err;
}

// Past the model's 512 position embeddings a --max-length would index out of range: examples
// are cut to 512 WordPiece ids instead, with a warning.
TEST(TeacherLabel, MaxLengthBeyondThePositionEmbeddingsIsCutToThem) {
  test::TempDir dir;
  std::string words;
  for (int i = 0; i < 700; ++i) words += i % 2 ? "good " : "film ";
  const std::string input = dir.write("long.tsv", "sentence\tlabel\n" + words + "\t1\nfine\t0\n");
  const auto cut = run_cli(label_args(input, dir.path("cut.tsv"), "--max-length 1000"));
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_NE(cut.err.find("warning: --max-length 1000 is beyond the model's 512"), std::string::npos)
      << cut.err;
  const auto at_limit = run_cli(label_args(input, dir.path("512.tsv"), "--max-length 512"));
  ASSERT_EQ(at_limit.exit_code, 0) << at_limit.err;
  EXPECT_EQ(at_limit.err.find("warning"), std::string::npos) << at_limit.err;
  EXPECT_EQ(read_file(dir.path("cut.tsv")), read_file(dir.path("512.tsv")));
}

TEST(TeacherLabel, TokenizeCommandMatchesTheFixture) {
  const std::string fixture = read_file(shared("fixtures/tokenizer/wordpiece_uncased.jsonl"));
  const auto result = run_cli("tokenize --jsonl --vocab " + shared("data/bert/vocab.txt"), fixture);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto expected = lines_of(fixture), got = lines_of(result.out);
  ASSERT_EQ(got.size(), 3908u);
  size_t mismatches = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto ids = nlohmann::json::parse(expected[i])["ids"];
    mismatches += nlohmann::json::parse(got[i]) != ids;
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(TeacherLabel, RealTeacherReproducesItsDevAccuracy) {
  const auto result = run_cli("eval --model " + shared("fixtures/teacher/bert-small-imdb-sst2") +
                              " --task sst2 --json --data " + shared("data/glue/SST-2/dev.tsv"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto metrics = nlohmann::json::parse(result.out);
  EXPECT_EQ(metrics["correct"].get<int>(), 747);
  EXPECT_EQ(metrics["total"].get<int>(), 872);
}

// `predict --json` logits for `input`, one row per line.
std::vector<std::vector<float>> predicted_logits(const std::string& model,
                                                 const std::string& input) {
  const auto result = run_cli("predict --threads 1 --json --model " + model, input);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::vector<float>> rows;
  for (const auto& line : lines_of(result.out))
    rows.push_back(nlohmann::json::parse(line)["logits"].get<std::vector<float>>());
  return rows;
}

float max_row_diff(const std::vector<float>& row, const torch::Tensor& reference) {
  float diff = 0;
  for (size_t c = 0; c < row.size(); ++c)
    diff = std::max(diff, std::abs(row[c] - reference[c].item<float>()));
  return diff;
}

TEST(TeacherPredict, MatchesTransformersOnTheSingleSentenceFixture) {
  const std::string dir = shared("fixtures/bert/tiny-sst2-f32");
  const auto texts = nlohmann::json::parse(read_file(dir + "/reference.json"))["texts"];
  const auto reference = SafetensorsFile(dir + "/reference.safetensors").get_float("logits");
  // One text per line: the one holding a newline (and a TAB) cannot be a line of stdin.
  std::string input;
  std::vector<int64_t> compared;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    if (text.find_first_of("\t\r\n") != std::string::npos) continue;
    input += text + "\n";
    compared.push_back(static_cast<int64_t>(i));
  }
  ASSERT_EQ(compared.size() + 1, texts.size());
  const auto rows = predicted_logits(dir, input);
  ASSERT_EQ(rows.size(), compared.size());
  for (size_t r = 0; r < rows.size(); ++r)
    EXPECT_LE(max_row_diff(rows[r], reference[compared[r]]), 1e-4) << texts[compared[r]];
}

// Pairs (text_a<TAB>text_b) interleaved with single sentences: each line is encoded as what it
// is, and the rows come back in input order.
TEST(TeacherPredict, MatchesTransformersOnPairsMixedWithSingles) {
  const std::string dir = shared("fixtures/bert/small-nli-f16");
  const auto texts = nlohmann::json::parse(read_file(dir + "/reference.json"))["texts"];
  std::string input;
  for (const auto& pair : texts) {
    input += pair[0].get<std::string>() + "\t" + pair[1].get<std::string>() + "\n";
    input += pair[0].get<std::string>() + "\n";
  }
  const auto rows = predicted_logits(dir, input);
  const auto reference =
      SafetensorsFile(dir + "/reference.safetensors").get_float("logits_from_rounded_weights");
  ASSERT_EQ(static_cast<int64_t>(rows.size()), 2 * reference.size(0));
  for (int64_t i = 0; i < reference.size(0); ++i) {
    EXPECT_LE(max_row_diff(rows[2 * i], reference[i]), 1e-4) << texts[i];
    EXPECT_GT(max_row_diff(rows[2 * i + 1], reference[i]), 1e-3) << "a single sentence";
  }
  // The single sentence alone gets the same logits as inside the mixed input.
  const auto alone = predicted_logits(dir, texts[0][0].get<std::string>() + "\n");
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_LE(max_row_diff(alone[0], torch::tensor(rows[1])), 1e-5);
}

TEST(TeacherPredict, BadInputIsOneClearError) {
  const std::string model = shared("fixtures/bert/tiny-sst2-f32");
  auto expect_error = [](const test::CommandResult& r, const std::string& needle) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");  // nothing of a chunk that did not finish
  };
  expect_error(run_cli("predict --json --model " + model, "fine\nbad \xff\n"),
               "<stdin>:2: invalid UTF-8");
  if (!torch::cuda::is_available()) {
    expect_error(run_cli("predict --json --device cuda --model " + model, "fine\n"),
                 "--device cuda");
    expect_error(run_cli("eval --device cuda --task sst2 --model " + model + " --data " +
                         shared("data/glue/SST-2/dev.tsv")),
                 "--device cuda");
  }
}

}  // namespace
}  // namespace b2b
