// End-to-end tests of the bert2bilstm program: training on real SST-2 rows, eval, predict,
// split, and the one-line errors for bad input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cli_fixture.h"
#include "random_student.h"
#include "util/malloc_tuning.h"

namespace b2b {

test::TempDir* CliTest::dir_ = nullptr;
std::string CliTest::train_output_;

namespace {

TEST_F(CliTest, TrainsAStudentThatBeatsTheMajorityBaseline) {
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    EXPECT_TRUE(std::filesystem::exists(model() + "/" + file)) << file;
  }
  const auto result = run_cli("eval --model " + model() + " --task sst2 --data " +
                              shared("data/glue/SST-2/dev.tsv") + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto metrics = nlohmann::json::parse(result.out);
  EXPECT_EQ(metrics["total"].get<int>(), 872);
  // The majority class is 50.9%; 10,000 rows and 8 epochs of a small model reach 77%.
  EXPECT_GT(metrics["accuracy"].get<double>(), 0.70);
  const auto config = nlohmann::json::parse(read_file(model() + "/config.json"));
  EXPECT_DOUBLE_EQ(config["training"]["best_dev_accuracy"].get<double>(),
                   metrics["accuracy"].get<double>());
  EXPECT_EQ(config["training"]["history"].size(), 8u);
}

TEST_F(CliTest, PredictAgreesWithEval) {
  std::istringstream dev(read_file(shared("data/glue/SST-2/dev.tsv")));
  std::string line, sentences;
  std::vector<std::string> gold;
  std::getline(dev, line);
  while (std::getline(dev, line)) {
    const size_t tab = line.rfind('\t');
    sentences += line.substr(0, tab) + "\n";
    gold.push_back(line.substr(tab + 1));
  }
  const auto predicted = run_cli("predict --model " + model(), sentences);
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  std::istringstream rows(predicted.out);
  std::getline(rows, line);
  EXPECT_EQ(line, "label\tprob_0\tprob_1\tlogit_0\tlogit_1");
  size_t correct = 0, n = 0;
  while (std::getline(rows, line)) {
    ASSERT_LT(n, gold.size());
    correct += line.substr(0, line.find('\t')) == gold[n++];
  }
  EXPECT_EQ(n, 872u);
  const auto eval = run_cli("eval --model " + model() + " --data " +
                            shared("data/glue/SST-2/dev.tsv") + " --json");
  EXPECT_EQ(static_cast<int>(correct), nlohmann::json::parse(eval.out)["correct"].get<int>());

  const auto json =
      run_cli("predict --model " + model() + " --json", "a wonderful , moving film\n");
  const auto row = nlohmann::json::parse(json.out);
  EXPECT_NEAR(row["probabilities"][0].get<double>() + row["probabilities"][1].get<double>(), 1.0,
              1e-5);
}

TEST_F(CliTest, WithoutADevSetKeepsTheLastEpoch) {
  const auto result =
      run_cli("student train --task sst2 --train " + dir_->path("train.tsv") + " --out " +
              dir_->path("no-dev") + " --epochs 2 --hidden 8 --fc 8 --embedding-dim 8");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "trained 2 epochs (no --dev); student saved to " + dir_->path("no-dev") + "\n");
  EXPECT_TRUE(std::filesystem::exists(dir_->path("no-dev/model.safetensors")));
  EXPECT_NE(result.err.find("epoch 2: train loss "), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("dev accuracy"), std::string::npos) << result.err;
}

// libtorch seeds its default generator from the system in every process, so a model built
// before --student-seed is applied starts from other weights each run (student_bench did, and
// its loss never repeated). Two processes, two workers each: the same bytes on disk.
TEST_F(CliTest, TrainingTheSameStudentTwiceGivesTheSameModel) {
  const std::string train = dir_->write("repeat.tsv", sst2_head(2000));
  std::string weights[2];
  for (int run = 0; run < 2; ++run) {
    const std::string out = dir_->path("repeat-" + std::to_string(run));
    const auto result = run_cli("student train --task sst2 --train " + train + " --out " + out +
                                " --epochs 2 --hidden 16 --fc 16 --embedding-dim 16 --threads 2");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    weights[run] = read_file(out + "/model.safetensors");
  }
  EXPECT_FALSE(weights[0].empty());
  EXPECT_TRUE(weights[0] == weights[1]) << "two runs of the same command trained different models";
}

TEST_F(CliTest, RefusesGoldOnlyTrainingWithAlphaBelowOne) {
  const auto result = run_cli("student train --task sst2 --train " + dir_->path("train.tsv") +
                              " --out " + dir_->path("never") + " --alpha 0");
  expect_clean_error(result, "--alpha must be 1");
  EXPECT_FALSE(std::filesystem::exists(dir_->path("never")));
  const auto word_dropout = run_cli("student train --task sst2 --train " + dir_->path("train.tsv") +
                                    " --out " + dir_->path("never") + " --word-dropout 1");
  expect_clean_error(word_dropout, "--word-dropout must be in [0, 1)");
  EXPECT_FALSE(std::filesystem::exists(dir_->path("never")));
  const auto originals = run_cli("student train --task sst2 --train " + dir_->path("train.tsv") +
                                 " --out " + dir_->path("never") + " --alpha-rows originals");
  expect_clean_error(originals, "--alpha-rows originals needs the teacher's logits");
  EXPECT_FALSE(std::filesystem::exists(dir_->path("never")));
}

// Sizes and rates out of range are refused before any work, by student train and by distill
// (whose students would otherwise fail only after augmentation and labeling).
TEST_F(CliTest, RefusesOutOfRangeSizesAndRates) {
  const struct {
    std::string flag, needle;
    bool distill_has_it;
  } cases[] = {
      {"--batch 0", "--batch: expected a positive integer, got 0", true},
      {"--hidden 0", "--hidden: expected a positive integer, got 0", true},
      {"--fc -3", "--fc: expected a positive integer, got -3", true},
      {"--dropout 1", "--dropout must be in [0, 1)", true},
      {"--patience -1", "--patience must not be negative", true},
      {"--embedding-dim 0", "--embedding-dim must be positive", false},
      {"--lr 0", "--lr must be positive", false},
      {"--rho 1.5", "--rho must be in [0, 1)", false},
      {"--kl-temperature -1", "--kl-temperature must not be negative", true},
      {"--alpha-rows some", "--alpha-rows: expected all or originals, got 'some'", true},
  };
  for (const auto& c : cases) {
    expect_clean_error(run_cli("student train --task sst2 --train " + dir_->path("train.tsv") +
                               " --out " + dir_->path("never") + " " + c.flag),
                       c.needle);
    if (c.distill_has_it) {
      expect_clean_error(run_cli("distill --task sst2 --data " + shared("data/glue/SST-2") +
                                 " --teacher " + shared("fixtures/bert/tiny-sst2-f32") +
                                 " --conllu none --out " + dir_->path("never") + " " + c.flag),
                         c.needle);
    }
    EXPECT_FALSE(std::filesystem::exists(dir_->path("never"))) << c.flag;
  }
  expect_clean_error(
      run_cli("eval --model " + model() + " --data " + dir_->path("train.tsv") + " --batch 0"),
      "--batch: expected a positive integer, got 0");  // it looped forever
  // CLI11's own errors are one line too.
  expect_clean_error(run_cli("student train --task sst2 --train " + dir_->path("train.tsv") +
                             " --out " + dir_->path("never") + " --bogus"),
                     "--bogus");
}

TEST_F(CliTest, BadDataFilesGiveOneErrorLineAndNoOutput) {
  const struct {
    std::string name, content, needle;
  } cases[] = {
      {"empty.tsv", "", "empty file"},
      {"header.tsv", "text\tlabel\nfine\t1\n", "header has no column 'sentence'"},
      {"columns.tsv", "sentence\tlabel\nfine\t1\ntoo few\n",
       ":3: expected 2 tab-separated fields, found 1"},
      {"utf8.tsv", "sentence\tlabel\nbad \xc3\x28 text\t1\n", ":2: invalid UTF-8"},
      {"label.tsv", "sentence\tlabel\nfine\t7\n", "unknown label '7'"},
  };
  for (const auto& c : cases) {
    const std::string path = dir_->write(c.name, c.content);
    const std::string out = dir_->path("out-" + c.name);
    expect_clean_error(run_cli("student train --task sst2 --train " + path + " --out " + out),
                       path);
    expect_clean_error(run_cli("student train --task sst2 --train " + path + " --out " + out),
                       c.needle);
    EXPECT_FALSE(std::filesystem::exists(out)) << c.name;
    expect_clean_error(run_cli("eval --model " + model() + " --data " + path), c.needle);
  }
  expect_clean_error(run_cli("eval --model " + model() + " --data " + dir_->path("missing.tsv")),
                     dir_->path("missing.tsv") + ": no such file");
  expect_clean_error(run_cli("predict --model " + model(), "ok\nbad \xff\n"),
                     "<stdin>:2: invalid UTF-8");
}

TEST_F(CliTest, BrokenStudentDirectoriesAreReportedByFile) {
  namespace fs = std::filesystem;
  const std::string data = shared("data/glue/SST-2/dev.tsv");
  const std::string missing = dir_->path("no-weights");
  fs::copy(model(), missing);
  fs::remove(missing + "/model.safetensors");
  expect_clean_error(run_cli("eval --model " + missing + " --data " + data),
                     missing + "/model.safetensors: no such file");

  const std::string truncated = dir_->path("truncated");
  fs::copy(model(), truncated);
  const std::string weights = read_file(model() + "/model.safetensors");
  std::ofstream(truncated + "/model.safetensors", std::ios::binary)
      << weights.substr(0, weights.size() / 2);
  expect_clean_error(run_cli("eval --model " + truncated + " --data " + data),
                     truncated + "/model.safetensors: tensor");

  expect_clean_error(run_cli("eval --model " + dir_->path("nowhere") + " --data " + data),
                     "no such model directory");

  // A config.json edited into something the weights cannot be: each named.
  const std::string config = read_file(model() + "/config.json");
  const std::pair<std::string, std::string> edits[][2] = {
      {{"\"dropout\": 0.1", "\"dropout\": 7"}, {"dropout", "dropout is not in [0, 1)"}},
      {{"\"num_labels\": 2", "\"num_labels\": 3"},
       {"labels", "num_labels 3 disagrees with the task's 2 labels"}},
      {{"\"embedding_mode\": \"rand\"", "\"embedding_mode\": \"weird\""},
       {"mode", "embedding_mode 'weird' is not rand"}},
  };
  for (const auto& [edit, expected] : edits) {
    const std::string broken = dir_->path("config-" + expected.first);
    fs::copy(model(), broken);
    std::string edited = config;
    const size_t at = edited.find(edit.first);
    ASSERT_NE(at, std::string::npos) << edit.first;
    edited.replace(at, edit.first.size(), edit.second);
    std::ofstream(broken + "/config.json") << edited;
    expect_clean_error(run_cli("predict --model " + broken, "good\n"),
                       broken + "/config.json: " + expected.second);
  }
}

TEST(Cli, SplitWritesStratifiedFiles) {
  test::TempDir dir;
  const auto result = run_cli(
      "split --task tsv:text_a=sentence1,text_b=sentence2,label=is_duplicate --quoting csv "
      "--input " +
      shared("data/pairs/quora-sample/quora-dev.csv") + " --out " + dir.path("quora") +
      " --seed 3");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  size_t rows = 0;
  for (const char* part : {"train", "dev", "test"})
    rows += count_lines(read_file(dir.path("quora/") + part + ".tsv")) - 1;
  EXPECT_NE(result.out.find("unlabeled or malformed rows skipped"), std::string::npos);
  EXPECT_LT(rows, 20214u);
  EXPECT_GT(rows, 20000u);
}

TEST(Cli, VersionAndHelp) {
  EXPECT_EQ(run_cli("--version").out.rfind("bert2bilstm ", 0), 0u);
  for (const char* command : {"split", "student train", "eval", "predict"}) {
    const auto result = run_cli(std::string(command) + " --help");
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_NE(result.out.find("--"), std::string::npos) << command;
  }
}

// issue 34: --threads 0 was taken silently as "all cores"; given, it must be a count.
TEST(Cli, ThreadsZeroIsRefused) {
  for (const char* command : {"student train --task sst2 --train x --dev x --out y",
                              "augment "
                              "--task sst2 --input x --output y --pos-model z",
                              "eval --model m --data d"}) {
    const auto result = run_cli(std::string(command) + " --threads 0");
    EXPECT_NE(result.exit_code, 0) << command;
    EXPECT_NE(result.err.find("expected a positive integer, got 0"), std::string::npos)
        << command << "\n"
        << result.err;
  }
}

// issue 34: a line without a TAB given to a pair model is said, not fatal: the lines before it
// are printed, it gets its row (text_b empty), and the batch goes on.
TEST(Cli, PredictWithAPairModelWarnsOfALineWithoutATabAndGoesOn) {
  test::TempDir dir;
  test::write_random_student(dir.path("pair"), true, EmbeddingMode::kRand);
  const auto result = run_cli("predict --model " + dir.path("pair"),
                              "a good film\ta film\nno tab here\nbad\tfilm\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream rows(result.out);
  std::string row;
  size_t count = 0;
  while (std::getline(rows, row)) ++count;
  EXPECT_EQ(count, 4u) << result.out;  // the header and one row a line
  EXPECT_NE(result.err.find("<stdin>:2: a pair model needs text_a<TAB>text_b; no TAB here"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

// `predict --model M`, started with `env_changes` applied to our environment ("NAME=value" sets,
// "NAME" removes), once it blocks reading a stdin we hold open; stderr goes to `err`.
struct WaitingPredict {
  pid_t pid = 0;
  int stdin_fd = -1;
};

WaitingPredict start_waiting_predict(const std::string& model,
                                     const std::vector<std::string>& env_changes,
                                     const std::string& err) {
  int input[2];
  if (::pipe(input) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_adddup2(&files, input[0], 0);
  posix_spawn_file_actions_addclose(&files, input[1]);
  posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&files, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> env_text;
  const auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    if (std::none_of(env_changes.begin(), env_changes.end(),
                     [&](const std::string& c) { return name_of(c) == name_of(entry); }))
      env_text.push_back(entry);
  }
  for (const auto& change : env_changes)
    if (change.find('=') != std::string::npos) env_text.push_back(change);
  std::vector<char*> env;
  for (auto& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  std::string binary = B2B_BINARY, command = "predict", flag = "--model", dir = model;
  char* argv[] = {binary.data(), command.data(), flag.data(), dir.data(), nullptr};
  WaitingPredict started;
  const int spawned = posix_spawn(&started.pid, binary.c_str(), &files, nullptr, argv, env.data());
  posix_spawn_file_actions_destroy(&files);
  ::close(input[0]);
  if (spawned != 0) throw std::runtime_error("posix_spawn failed");
  started.stdin_fd = input[1];
  // Wait until predict blocks reading stdin, well past main's first lines.
  const std::string wchan = "/proc/" + std::to_string(started.pid) + "/wchan";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (read_file(wchan).find("pipe_read") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return started;
}

// B2B_CRASH_TRACES=1, for chasing a crash on a host without a debugger: a fatal signal prints
// every thread's stack, and the process still ends by that signal.
TEST_F(CliTest, PrintsEveryStackOnAFatalSignalWhenAsked) {
#ifdef B2B_SANITIZED
  GTEST_SKIP() << "AddressSanitizer handles fatal signals itself in this build";
#endif
  const std::string err = dir_->path("crash.err");
  const auto predict = start_waiting_predict(model(), {"B2B_CRASH_TRACES=1"}, err);
  ASSERT_EQ(::kill(predict.pid, SIGSEGV), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(predict.pid, &status, 0), predict.pid);
  ::close(predict.stdin_fd);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
  const std::string trace = read_file(err);
  EXPECT_NE(trace.find("SIGSEGV"), std::string::npos) << trace;
  EXPECT_NE(trace.find("frame #"), std::string::npos) << trace;
}

// GLIBC_TUNABLES as the running process `pid` sees it ("(unset)" when it has none).
std::string glibc_tunables_of(pid_t pid) {
  std::istringstream entries(read_file("/proc/" + std::to_string(pid) + "/environ"));
  std::string entry;
  while (std::getline(entries, entry, '\0'))
    if (entry.rfind("GLIBC_TUNABLES=", 0) == 0) return entry.substr(15);
  return "(unset)";
}

// The commands that train, label or score run with glibc's allocator tuned (malloc_tuning.h):
// they re-execute themselves with the tunables added to GLIBC_TUNABLES, keep a user's own
// malloc tunables, and leave the environment alone with B2B_MALLOC_TUNING=0; light commands
// are not re-executed. Read from the running process's environment, while `eval` waits to open
// its data (a FIFO) and `predict` waits on stdin.
TEST_F(CliTest, HeavyCommandsRunWithTheAllocatorTunedUnlessTheUserSaysOtherwise) {
  const std::string fifo = dir_->path("eval.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto eval_tunables = [&](const std::string& env) {
    const std::string command = "env -u GLIBC_TUNABLES -u B2B_MALLOC_TUNING " + env + " " +
                                B2B_BINARY + " eval --model " + model() + " --task sst2 --data " +
                                fifo + " 2>/dev/null & echo $!";
    FILE* shell = ::popen(command.c_str(), "r");
    int pid = 0;
    if (!shell || std::fscanf(shell, "%d", &pid) != 1) return std::string("(not started)");
    ::pclose(shell);
    // Opening the FIFO's write end succeeds once eval (after any re-execution) has opened it.
    int writer = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while ((writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)) < 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::string seen = glibc_tunables_of(pid);
    const std::string rows = "sentence\tlabel\nit is good\t1\n";
    if (writer >= 0) {
      EXPECT_EQ(::write(writer, rows.data(), rows.size()), static_cast<ssize_t>(rows.size()));
      ::close(writer);
    }
    for (int i = 0; i < 6000 && ::kill(pid, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return seen;
  };
  // glibc cuts the variable at its first ':' in the process's environment once parsed, so what
  // is visible is the first tunable: ours come first.
  const auto starts_with = [](const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
  };
  const std::string first = "glibc.malloc.hugetlb=1";
  ASSERT_TRUE(starts_with(malloc_tunables(), first));
  EXPECT_PRED2(starts_with, eval_tunables(""), first);
  EXPECT_PRED2(starts_with, eval_tunables("GLIBC_TUNABLES=glibc.rtld.nns=4"), first);
  const std::string users = eval_tunables("GLIBC_TUNABLES=glibc.malloc.arena_max=2");
  EXPECT_PRED2(starts_with, users, "glibc.malloc.arena_max=2");
  EXPECT_EQ(users.find("hugetlb"), std::string::npos) << users;
  EXPECT_EQ(eval_tunables("B2B_MALLOC_TUNING=0"), "(unset)");

  const auto predict =
      start_waiting_predict(model(), {"GLIBC_TUNABLES", "B2B_MALLOC_TUNING"}, dir_->path("p.err"));
  EXPECT_EQ(glibc_tunables_of(predict.pid), "(unset)");
  ::close(predict.stdin_fd);
  int status = 0;
  ::waitpid(predict.pid, &status, 0);
}

}  // namespace
}  // namespace b2b
