// Teacher fine-tuning on CPU: it learns, what it saves reloads to the same logits, and a run
// killed between epochs resumes to the very model an uninterrupted run makes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "io/safetensors.h"
#include "teacher/finetune.h"
#include "test_util.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {
namespace {

using test::run_cli;
using test::shared;

// The header and the first `n` rows of SST-2 train.
std::string sst2_rows(int n) {
  std::istringstream in(read_file(shared("data/glue/SST-2/train.tsv")));
  std::string line, rows;
  for (int i = 0; i <= n && std::getline(in, line); ++i) rows += line + "\n";
  return rows;
}

TEST(Finetune, LearnsSst2AndTheSavedDirectoryReloadsExactly) {
  test::TempDir dir;
  const std::string train = dir.write("train.tsv", sst2_rows(5000));
  const auto result =
      run_cli("teacher finetune --model " + shared("fixtures/bert/tiny-sst2-f32") +
              " --task sst2 --train " + train + " --dev " + shared("data/glue/SST-2/dev.tsv") +
              " --out " + dir.path("ft") + " --lr 1e-3 --epochs 2 --threads 2");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto eval = run_cli("eval --json --task sst2 --model " + dir.path("ft") + " --data " +
                            shared("data/glue/SST-2/dev.tsv"));
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const double accuracy = nlohmann::json::parse(eval.out)["accuracy"].get<double>();
  EXPECT_GT(accuracy, 0.509 + 0.10);  // the majority baseline is 50.9%
  char reported[64];
  std::snprintf(reported, sizeof reported, "dev accuracy %.4f", accuracy);
  EXPECT_NE(result.out.find(reported), std::string::npos)
      << result.out;  // the reload scores what training did
  EXPECT_FALSE(std::filesystem::exists(dir.path("ft.work")));
  const auto config = nlohmann::json::parse(read_file(dir.path("ft/config.json")));
  EXPECT_EQ(config["id2label"]["1"], "1");
  EXPECT_EQ(config["label2id"]["0"], 0);

  // Save and reload in process: identical logits.
  Teacher teacher = load_teacher(dir.path("ft"));
  save_teacher(dir.path("again"), teacher, dir.path("ft/vocab.txt"));
  Teacher again = load_teacher(dir.path("again"));
  const SafetensorsFile reference(shared("fixtures/bert/tiny-sst2-f32/reference.safetensors"));
  torch::NoGradGuard no_grad;
  const auto ids = reference.get("input_ids"), types = reference.get("token_type_ids"),
             mask = reference.get("attention_mask");
  const auto a = teacher.model->forward(ids, types, mask),
             b = again.model->forward(ids, types, mask);
  EXPECT_LE((a - b).abs().max().item<double>(), 1e-6);
}

TEST(Finetune, ResumesAfterBeingKilledBetweenEpochsToTheSameModel) {
  test::TempDir dir;
  const std::string train = dir.write("train.tsv", sst2_rows(3000));
  auto args = [&](const std::string& out, const std::string& extra = "") {
    return "teacher finetune --model " + shared("fixtures/bert/tiny-sst2-f32") +
           " --task sst2 --train " + train + " --dev " + shared("data/glue/SST-2/dev.tsv") +
           " --out " + dir.path(out) + " --lr 1e-3 --epochs 2 --threads 1 " + extra;
  };
  const auto whole = run_cli(args("whole"));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  // Killed once the first epoch is committed (weights, optimizer, generators, progress).
  const std::string background = std::string(B2B_BINARY) + " " + args("killed") +
                                 " > /dev/null 2>&1 & echo $! > " + dir.path("pid");
  ASSERT_EQ(std::system(background.c_str()), 0);
  const std::string last = dir.path("killed.work/lr-0.001/last");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (!std::filesystem::exists(last + "/progress.json") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(::kill(std::stoi(read_file(dir.path("pid"))), SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_FALSE(std::filesystem::exists(dir.path("killed"))) << "finished before the kill";
  for (const char* copy : {"changed.work", "broken.work"}) {
    std::filesystem::copy(dir.path("killed.work"), dir.path(copy),
                          std::filesystem::copy_options::recursive);
  }

  const auto resumed = run_cli(args("killed"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("lr 0.001: resuming after epoch 1"), std::string::npos) << resumed.err;
  EXPECT_EQ(resumed.err.find("epoch 1:"), std::string::npos) << "epoch 1 ran again";
  EXPECT_EQ(read_file(dir.path("killed/model.safetensors")),
            read_file(dir.path("whole/model.safetensors")));
  EXPECT_EQ(resumed.out, whole.out.substr(0, whole.out.find("written to")) + "written to " +
                             dir.path("killed") + "\n");

  // A rerun with other settings does not continue what it did not start.
  const auto changed = run_cli(args("changed", "--batch 64"));
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_NE(changed.err.find("made with other settings; starting over"), std::string::npos)
      << changed.err;
  EXPECT_NE(changed.err.find("epoch 1:"), std::string::npos) << changed.err;

  // A damaged checkpoint is one error line naming the file.
  const std::string optimizer = dir.path("broken.work/lr-0.001/last/optimizer.pt");
  std::filesystem::resize_file(optimizer, 100);
  const auto broken = run_cli(args("broken"));
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_EQ(std::count(broken.err.begin(), broken.err.end(), '\n'), 1) << broken.err;
  EXPECT_NE(broken.err.find("error: " + optimizer + ": cannot be read"), std::string::npos)
      << broken.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path("broken")));
}

TEST(Finetune, BadInputIsOneClearError) {
  test::TempDir dir;
  const std::string dev = shared("data/glue/SST-2/dev.tsv");
  auto finetune = [&](const std::string& model, const std::string& dev_file,
                      const std::string& extra) {
    return run_cli("teacher finetune --model " + model + " --task sst2 --train " + dev + " --dev " +
                   dev_file + " --out " + dir.path("out") + " " + extra);
  };
  auto expect_error = [](const test::CommandResult& r, const std::string& needle) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  };
  expect_error(finetune(shared("fixtures/bert/tiny-sst2-f32"), dev, "--lr 2e-5,fast"),
               "--lr: 'fast'");
  expect_error(
      finetune(shared("fixtures/bert/tiny-sst2-f32"), shared("data/pairs/SICK/SICK.txt"), ""),
      "header has no column 'sentence'");
  std::filesystem::create_directories(dir.path("config-only"));
  std::filesystem::copy(shared("fixtures/bert/tiny-sst2-f32/config.json"),
                        dir.path("config-only/config.json"));
  std::filesystem::copy(shared("fixtures/bert/tiny-sst2-f32/vocab.txt"),
                        dir.path("config-only/vocab.txt"));
  expect_error(finetune(dir.path("config-only"), dev, ""), "has no weights");
  expect_error(finetune(shared("fixtures/bert/small-nli-f16"), dev, ""), "--reinit-classifier");
  const std::string tiny = shared("fixtures/bert/tiny-sst2-f32");
  expect_error(finetune(tiny, dev, "--batch 0"), "--batch: expected a positive integer, got 0");
  expect_error(finetune(tiny, dev, "--epochs 0"), "--epochs must be at least 1");
  expect_error(finetune(tiny, dev, "--warmup 1.5"), "--warmup must be in [0, 1]");
  expect_error(finetune(tiny, dev, "--weight-decay -1"), "--weight-decay must not be negative");
  expect_error(finetune(tiny, dev, "--max-length 2"), "--max-length 2: give at least 3");
  EXPECT_FALSE(std::filesystem::exists(dir.path("out")));
}

// issue 18: `teacher finetune` as 2 processes on localhost (Gloo), launched as torchrun would
// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). Dropout off, so that the comparison is exact.
class DataParallelFinetune : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run_cli("teacher finetune --help").out.empty()) GTEST_SKIP();
    std::filesystem::copy(shared("fixtures/bert/tiny-sst2-f32"), dir_.path("nodrop"));
    auto config = nlohmann::json::parse(read_file(dir_.path("nodrop/config.json")));
    config["hidden_dropout_prob"] = 0.0;
    config["attention_probs_dropout_prob"] = 0.0;
    std::filesystem::permissions(dir_.path("nodrop/config.json"),
                                 std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    dir_.write("nodrop/config.json", config.dump(2));
    train_ = dir_.write("train.tsv", sst2_rows(300));
    dev_ = dir_.write("dev.tsv", sst2_rows(60));
  }
  std::string args(const std::string& out, int epochs) const {
    return "teacher finetune --model " + dir_.path("nodrop") + " --task sst2 --train " + train_ +
           " --dev " + dev_ + " --out " + out + " --lr 1e-5 --batch 16 --max-length 32 " +
           "--threads 1 --epochs " + std::to_string(epochs);
  }
  // Both ranks in the background; returns their process ids.
  std::vector<pid_t> launch(const std::string& arguments, const std::string& log) const {
    static int port = 29000 + static_cast<int>(getpid() % 2000);
    ++port;
    std::vector<pid_t> pids;
    for (int rank = 0; rank < 2; ++rank) {
      const pid_t pid = fork();
      if (pid == 0) {
        const std::string command =
            "RANK=" + std::to_string(rank) +
            " WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " exec " +
            B2B_BINARY + " " + arguments + " > " + log + std::to_string(rank) + " 2>&1";
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        _exit(127);
      }
      pids.push_back(pid);
    }
    return pids;
  }
  static bool wait_all(const std::vector<pid_t>& pids) {
    bool ok = true;
    for (pid_t pid : pids) {
      int status = 0;
      waitpid(pid, &status, 0);
      ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    return ok;
  }
  // The largest difference between the weights of two fine-tuned directories.
  static double max_difference(const std::string& a, const std::string& b) {
    const SafetensorsFile x(a + "/model.safetensors"), y(b + "/model.safetensors");
    double worst = 0;
    for (const auto& [name, entry] : x.entries()) {
      worst = std::max(worst, (x.get(name) - y.get(name)).abs().max().item<double>());
    }
    return worst;
  }
  test::TempDir dir_;
  std::string train_, dev_;
};

TEST_F(DataParallelFinetune, TwoProcessesTakeTheSingleProcessSteps) {
  ASSERT_EQ(run_cli(args(dir_.path("single"), 1)).exit_code, 0);
  ASSERT_TRUE(wait_all(launch(args(dir_.path("parallel"), 1), dir_.path("log"))))
      << read_file(dir_.path("log0")) << read_file(dir_.path("log1"));
  EXPECT_NE(read_file(dir_.path("log0")).find("finetune: data-parallel, rank 0 of 2 (Gloo"),
            std::string::npos);
  EXPECT_NE(read_file(dir_.path("log1")).find("written by rank 0 to"), std::string::npos);
  // Float sums in another order move AdamW's steps for gradients near zero (it divides by
  // their root mean square): at lr 5e-5 the weights differed by up to 1.8e-5, here by less.
  const double difference = max_difference(dir_.path("single"), dir_.path("parallel"));
  std::printf("max |2 processes - 1 process| over the weights: %.2e\n", difference);
  EXPECT_LE(difference, 1e-5);
}

TEST_F(DataParallelFinetune, AKilledTwoProcessRunResumes) {
  ASSERT_EQ(run_cli(args(dir_.path("single"), 2)).exit_code, 0);
  const std::string out = dir_.path("parallel");
  const auto pids = launch(args(out, 2), dir_.path("first"));
  const std::string last = out + ".work/lr-1e-05/last/progress.json";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!std::filesystem::exists(last) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (pid_t pid : pids) kill(pid, SIGKILL);
  wait_all(pids);
  ASSERT_TRUE(std::filesystem::exists(last)) << read_file(dir_.path("first0"));
  ASSERT_FALSE(std::filesystem::exists(out)) << "finished before the kill";
  ASSERT_TRUE(wait_all(launch(args(out, 2), dir_.path("second"))))
      << read_file(dir_.path("second0")) << read_file(dir_.path("second1"));
  for (const char* log : {"second0", "second1"})
    EXPECT_NE(read_file(dir_.path(log)).find("resuming after epoch 1"), std::string::npos) << log;
  EXPECT_LE(max_difference(dir_.path("single"), out), 1e-5);
}

}  // namespace
}  // namespace b2b
