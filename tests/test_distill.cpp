// `distill` end to end on a small SST-2 sample: killed during labeling, rerun, finished
// stages skipped, the result complete; `bench` and `report` over finished runs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "data/dataset.h"
#include "pipeline/report.h"
#include "pos/conllu.h"
#include "pos/tagger.h"
#include "test_util.h"
#include "util/atomic_file.h"
#include "util/directory_lock.h"

namespace b2b {
namespace {

namespace fs = std::filesystem;
using test::run_cli;
using test::shared;

// dir/data/{train,dev}.tsv (the first `rows` SST-2 training rows, all of dev) and
// dir/tagger.pos (one perceptron pass over EWT dev: enough to augment with).
void write_distill_inputs(const test::TempDir& dir, int rows) {
  fs::create_directories(dir.path("data"));
  std::istringstream in(read_file(shared("data/glue/SST-2/train.tsv")));
  std::string line, head;
  for (int i = 0; i <= rows && std::getline(in, line); ++i) head += line + "\n";
  dir.write("data/train.tsv", head);
  fs::copy(shared("data/glue/SST-2/dev.tsv"), dir.path("data/dev.tsv"));
  PosTagger::train(read_conllu(shared("data/pos/UD_English-EWT/en_ewt-ud-dev.conllu")),
                   TaggerTrainOptions{1})
      .save(dir.path("tagger.pos"));
}

// dir/unlabeled.txt: the first `rows` IMDB sentences, then the first dev sentence, a repeat and
// a blank line (one dev text, one repeat and one blank row to drop or skip).
std::string write_unlabeled(const test::TempDir& dir, int rows) {
  std::istringstream in(read_file(shared("data/unlabeled/imdb-unsup-sentences.txt")));
  std::string line, text, first;
  for (int i = 0; i < rows && std::getline(in, line); ++i) {
    text += line + "\n";
    if (i == 0) first = line;
  }
  std::istringstream dev(read_file(shared("data/glue/SST-2/dev.tsv")));
  std::getline(dev, line);
  std::getline(dev, line);
  return dir.write("unlabeled.txt", text + line.substr(0, line.find('\t')) + "\n" + first + "\n\n");
}

TEST(Distill, ResumesAfterBeingKilledDuringLabeling) {
  test::TempDir dir;
  write_distill_inputs(dir, 400);
  const std::string out = dir.path("run");
  const std::string args =
      "distill --task sst2 --data " + dir.path("data") + " --teacher " +
      shared("fixtures/bert/tiny-sst2-f32") + " --out " + out + " --pos-model " +
      dir.path("tagger.pos") +
      " --label-chunk-rows 50 --label-batch 8 --epochs 1 --hidden 16 --fc 16 --threads 1";

  const std::string background =
      std::string(B2B_BINARY) + " " + args + " > /dev/null 2>&1 & echo $! > " + dir.path("pid");
  ASSERT_EQ(std::system(background.c_str()), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (!fs::exists(out + "/transfer.labeled.tsv.progress") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(::kill(std::stoi(read_file(dir.path("pid"))), SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_FALSE(fs::exists(out + "/transfer.labeled.tsv")) << "labeling finished before the kill";
  const auto transfer_before = read_file(out + "/transfer.tsv");

  const auto rerun = run_cli(args);
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_NE(rerun.err.find("stage augment: up to date, skipped"), std::string::npos) << rerun.err;
  EXPECT_NE(rerun.err.find("resumed after"), std::string::npos) << rerun.err;
  EXPECT_EQ(read_file(out + "/transfer.tsv"), transfer_before);
  for (const char* f :
       {"transfer.labeled.tsv", "student/model.safetensors", "baseline/model.safetensors",
        "report.md", "report.json", "manifest.json"}) {
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  }
  // Every transfer row labeled once, in order.
  std::istringstream transfer(transfer_before), labeled(read_file(out + "/transfer.labeled.tsv"));
  std::string t, l;
  std::getline(transfer, t);
  std::getline(labeled, l);
  EXPECT_EQ(l, "sentence\tlabel\tlogit_0\tlogit_1");
  size_t n = 0;
  while (std::getline(transfer, t)) {
    ASSERT_TRUE(std::getline(labeled, l));
    EXPECT_EQ(l.rfind(t + "\t", 0), 0u) << n;
    ++n;
  }
  EXPECT_FALSE(std::getline(labeled, l));
  EXPECT_GT(n, 400u);
  const auto report = nlohmann::json::parse(read_file(out + "/report.json"));
  EXPECT_EQ(report["models"].size(), 3u);
  EXPECT_EQ(report["models"][0]["metrics"]["total"].get<int>(), 872);
  // Each student's accuracy split by the teacher's correctness adds up to its own accuracy,
  // and the split's sides are the teacher's right and wrong rows.
  const int right = report["teacher_right_rows"].get<int>();
  const int wrong = report["teacher_wrong_rows"].get<int>();
  EXPECT_EQ(right, report["models"][0]["metrics"]["correct"].get<int>());
  EXPECT_EQ(right + wrong, 872);
  for (int m = 1; m <= 2; ++m) {
    const auto& model = report["models"][m];
    EXPECT_NEAR(model["where_teacher_right"].get<double>() * right +
                    model["where_teacher_wrong"].get<double>() * wrong,
                model["metrics"]["correct"].get<double>(), 1e-6);
  }
  EXPECT_NE(read_file(out + "/report.md")
                .find("Where the teacher is right (" + std::to_string(right) + " of 872 dev rows)"),
            std::string::npos);

  const auto again = run_cli(args);  // nothing left to do
  EXPECT_NE(again.err.find("stage report: up to date, skipped"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("running"), std::string::npos) << again.err;

  // Another student seed retrains the students and keeps the labels.
  const auto reseeded = run_cli(args + " --student-seed 2");
  ASSERT_EQ(reseeded.exit_code, 0) << reseeded.err;
  EXPECT_NE(reseeded.err.find("stage label: up to date, skipped"), std::string::npos)
      << reseeded.err;
  EXPECT_NE(reseeded.err.find("stage student: running"), std::string::npos) << reseeded.err;
  EXPECT_NE(reseeded.err.find("stage baseline: running"), std::string::npos) << reseeded.err;
}

TEST(Distill, StopsAfterLabelingAndAnotherRunFinishesThenBenchAndReportUseIt) {
  test::TempDir dir;
  write_distill_inputs(dir, 100);
  const std::string out = dir.path("run");
  const std::string args = "distill --task sst2 --data " + dir.path("data") + " --teacher " +
                           shared("fixtures/bert/tiny-sst2-f32") + " --out " + out +
                           " --pos-model " + dir.path("tagger.pos") +
                           " --n-iter 2 --epochs 1 --hidden 16 --fc 16 --threads 1";

  const auto labeled = run_cli(args + " --stop-after label");  // as on a GPU host
  ASSERT_EQ(labeled.exit_code, 0) << labeled.err;
  EXPECT_NE(labeled.err.find("stopped after stage label"), std::string::npos) << labeled.err;
  EXPECT_TRUE(fs::exists(out + "/transfer.labeled.tsv"));
  EXPECT_FALSE(fs::exists(out + "/student"));
  EXPECT_FALSE(fs::exists(out + "/report.md"));

  const auto finished = run_cli(args);
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  EXPECT_NE(finished.err.find("stage label: up to date, skipped"), std::string::npos)
      << finished.err;
  EXPECT_TRUE(fs::exists(out + "/report.md"));
  EXPECT_NE(run_cli(args + " --stop-after nowhere").err.find("unknown stage"), std::string::npos);

  const auto bench =
      run_cli("bench --teacher " + shared("fixtures/bert/tiny-sst2-f32") + " --student " + out +
              "/student --task sst2 --data " + dir.path("data/train.tsv") + " --batch 32");
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_NE(bench.out.find("100 sentences"), std::string::npos) << bench.out;
  EXPECT_NE(bench.out.find("| teacher (BERT) |"), std::string::npos) << bench.out;
  EXPECT_NE(bench.out.find("| student (BiLSTM) |"), std::string::npos) << bench.out;
  EXPECT_NE(bench.out.find("faster"), std::string::npos) << bench.out;

  // A second run with pretrained vectors, then one table over both runs.
  const std::string out2 = dir.path("run-vectors");
  std::string args2 = args;
  args2.replace(
      args2.find(" --out " + out + " "), out.size() + 7,
      " --out " + out2 + " --vectors " + shared("data/vectors/glove.6B.50d.subset-1000.txt") + " ");
  const auto with_vectors = run_cli(args2);
  ASSERT_EQ(with_vectors.exit_code, 0) << with_vectors.err;
  const std::string table_path = dir.path("comparison.md");
  const auto compared = run_cli("report --runs " + out + " " + out2 + " --out " + table_path);
  ASSERT_EQ(compared.exit_code, 0) << compared.err;
  const std::string table = read_file(table_path);
  for (const auto& run : {out, out2}) {
    const auto report = nlohmann::json::parse(read_file(run + "/report.json"));
    const auto& models = report["models"];
    ASSERT_EQ(models.size(), 3u);
    EXPECT_EQ(models[1]["role"], "distilled");
    EXPECT_EQ(models[2]["role"], "undistilled");
    char row[256];
    std::snprintf(row, sizeof row, "| %s | %s | %d | %.2f%% | %.2f%% | %.2f%% | %+.2f |",
                  run.c_str(), models[1]["embeddings"].get<std::string>().c_str(),
                  report["transfer_rows"].get<int>(),
                  100 * models[0]["metrics"]["accuracy"].get<double>(),
                  100 * models[1]["metrics"]["accuracy"].get<double>(),
                  100 * models[2]["metrics"]["accuracy"].get<double>(),
                  100 * (models[1]["metrics"]["accuracy"].get<double>() -
                         models[2]["metrics"]["accuracy"].get<double>()));
    EXPECT_NE(table.find(row), std::string::npos) << row << "\n" << table;
    EXPECT_NE(table.find(report["command"].get<std::string>()), std::string::npos);
  }
  EXPECT_NE(table.find("| rand |"), std::string::npos) << table;
  EXPECT_NE(table.find("| multichannel, glove.6B.50d.subset-1000.txt |"), std::string::npos)
      << table;

  const auto missing = run_cli("report --runs " + out + " " + dir.path("data"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find(dir.path("data") + "/report.json"), std::string::npos) << missing.err;
}

// `bert2bilstm <args>` in the background, its stderr to `log`; returns its process id.
pid_t start_cli(const std::string& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string command =
        "exec " + std::string(B2B_BINARY) + " " + args + " > /dev/null 2> " + log;
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// A file that may not exist yet, as "".
std::string read_if_there(const std::string& path) {
  return fs::exists(path) ? read_file(path) : std::string();
}

// The stage names the manifest records as finished.
std::vector<std::string> finished_stages(const std::string& out) {
  std::vector<std::string> names;
  if (!fs::exists(out + "/manifest.json")) return names;
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  for (auto it = manifest.begin(); it != manifest.end(); ++it) names.push_back(it.key());
  return names;
}

// Every file under `dir`, relative, in order (the lock file aside).
std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = fs::relative(entry.path(), dir).string();
    if (entry.is_regular_file() && name != ".lock") files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// issue 17: SIGKILL at ten random moments, two inside each stage, a rerun after each: the run
// finishes with the artifacts of an uninterrupted run, byte for byte, and no finished stage
// runs again.
TEST(Distill, KilledAtTenRandomMomentsFinishesWithTheArtifactsOfAnUninterruptedRun) {
  test::TempDir dir;
  write_distill_inputs(dir, 150);
  const std::string unlabeled = write_unlabeled(dir, 300);
  const std::string common = "distill --task sst2 --data " + dir.path("data") + " --teacher " +
                             shared("fixtures/bert/tiny-sst2-f32") + " --pos-model " +
                             dir.path("tagger.pos") + " --unlabeled " + unlabeled +
                             " --n-iter 3 --label-chunk-rows 40 --label-batch 8 --epochs 2 "
                             "--hidden 16 --fc 16 --threads 1 --out ";
  const std::string reference = dir.path("reference"), out = dir.path("run");
  const auto uninterrupted = run_cli(common + reference);
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.err;
  const auto manifest = nlohmann::json::parse(read_file(reference + "/manifest.json"));

  std::mt19937 rng(17);
  const std::vector<std::string> stages = {"augment", "label",    "unlabeled", "join",
                                           "student", "baseline", "report"};
  std::vector<std::string> interrupted;
  for (size_t kill_number = 0; kill_number < 2 * stages.size(); ++kill_number) {
    const std::vector<std::string> done = finished_stages(out);
    // Two kills planned inside each stage; a stage an earlier kill let finish is skipped by
    // the rerun, so the kill goes to the first stage still to run (waiting for a stage that
    // never starts would let the whole run finish).
    std::string stage = stages[kill_number / 2];
    for (const auto& s : stages) {
      if (std::find(done.begin(), done.end(), stage) == done.end()) break;
      stage = s;
    }
    if (std::find(done.begin(), done.end(), stage) != done.end()) break;  // all finished
    const double stage_seconds = manifest[stage]["seconds"].get<double>();
    const double delay = std::uniform_real_distribution<double>(0, stage_seconds)(rng);
    const std::string log = dir.path("log" + std::to_string(kill_number));
    const pid_t pid = start_cli(common + out, log);
    // Wait for the stage to start (or the run to end), then for the random delay.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int status = 0;
    bool ended = false;
    while (std::chrono::steady_clock::now() < deadline && !ended &&
           read_if_there(log).find("stage " + stage + ": running") == std::string::npos) {
      ended = waitpid(pid, &status, WNOHANG) == pid;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!ended) {
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
    const std::string text = read_file(log);
    // A run the kill did not reach must have finished cleanly (a short stage can end first).
    if (!WIFSIGNALED(status)) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "kill " << kill_number << ": the run failed by itself\n"
          << text;
    }
    if (WIFSIGNALED(status)) {
      const size_t last = text.rfind(": running");
      interrupted.push_back(
          last == std::string::npos
              ? "start"
              : text.substr(text.rfind("stage ", last) + 6, last - text.rfind("stage ", last) - 6));
    }
    for (const auto& name : done) {
      EXPECT_NE(text.find("stage " + name + ": up to date, skipped"), std::string::npos)
          << "kill " << kill_number << ": finished stage " << name << " ran again\n"
          << text;
    }
  }
  const std::vector<std::string> done = finished_stages(out);
  const auto finished = run_cli(common + out);
  ASSERT_EQ(finished.exit_code, 0) << finished.err;
  for (const auto& name : done) {
    EXPECT_NE(finished.err.find("stage " + name + ": up to date, skipped"), std::string::npos)
        << name << "\n"
        << finished.err;
  }
  std::string trace;
  for (const auto& stage : interrupted) trace += stage + " ";
  std::printf("killed in: %s\n", trace.c_str());
  // A kill can come after its run has ended (a short stage, a busy machine): most must land.
  EXPECT_GE(interrupted.size(), 8u) << trace;

  // The same files, and the same bytes wherever the stage is deterministic (all but the
  // report's timings and the configs' epoch times).
  EXPECT_EQ(files_under(out), files_under(reference));
  for (const char* f : {"transfer.tsv", "transfer.labeled.tsv", "unlabeled.tsv",
                        "unlabeled.labeled.tsv", "train.labeled.tsv", "student/model.safetensors",
                        "student/vocab.txt", "baseline/model.safetensors", "baseline/vocab.txt"}) {
    EXPECT_TRUE(read_file(out + "/" + f) == read_file(reference + "/" + f)) << f;
  }
  const auto a = nlohmann::json::parse(read_file(out + "/report.json"));
  const auto b = nlohmann::json::parse(read_file(reference + "/report.json"));
  for (size_t m = 0; m < 3; ++m)
    EXPECT_EQ(a["models"][m]["metrics"], b["models"][m]["metrics"]) << m;
}

// issue 32: a gold sample, the rest of train and a file of unlabeled text, labeled by the
// teacher and joined; the report says what each model saw; the unlabeled labels serve another
// gold size (--gold-size 0: the teacher's labels alone, no undistilled student).
TEST(Distill, UnlabeledTextAndAGoldSampleJoinTheTransferSet) {
  test::TempDir dir;
  write_distill_inputs(dir, 150);
  fs::copy(shared("data/glue/SST-2/test.tsv"), dir.path("data/test.tsv"));
  const std::string unlabeled = write_unlabeled(dir, 200);
  const std::string common = "distill --task sst2 --data " + dir.path("data") + " --teacher " +
                             shared("fixtures/bert/tiny-sst2-f32") + " --unlabeled " + unlabeled +
                             " --unlabeled-rest --n-iter 2 --epochs 1 --hidden 16 --fc 16 "
                             "--threads 1 --teacher-trained-on 'SST-2 train' ";
  const std::string out = dir.path("g40");
  const auto run =
      run_cli(common + "--pos-model " + dir.path("tagger.pos") + " --gold-size 40 --out " + out);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto manifest = nlohmann::json::parse(read_file(out + "/manifest.json"));
  for (const char* stage : {"gold", "augment", "label", "unlabeled", "join", "student", "baseline"})
    EXPECT_TRUE(manifest.contains(stage)) << stage;

  TaskSpec task = parse_task("sst2");
  EXPECT_EQ(read_dataset(out + "/gold.tsv", task).examples.size(), 40u);
  const auto record = nlohmann::json::parse(read_file(out + "/unlabeled.json"));
  ASSERT_EQ(record["sources"].size(), 2u);
  const auto& rest = record["sources"][0];  // train.tsv, first
  EXPECT_EQ(rest["texts"], 150);
  EXPECT_EQ(rest["layout"], "delimited");
  const auto& file = record["sources"][1];
  EXPECT_EQ(file["layout"], "plain");
  EXPECT_EQ(file["texts"], 202);
  EXPECT_EQ(file["blank"], 1);
  EXPECT_GE(file["held_out"].get<int>(), 1);  // the dev sentence
  EXPECT_GE(file["duplicates"].get<int>(), 1);
  const size_t dropped_as_gold =
      nlohmann::json::parse(read_file(out + "/join.json"))["dropped_as_gold"].get<size_t>();
  EXPECT_EQ(dropped_as_gold, 40u);  // each gold text was in train.tsv, the first source
  ReadOptions options;
  options.labels_required = false;
  const size_t transfer =
      read_dataset(out + "/transfer.labeled.tsv", task, options).examples.size();
  const size_t labeled =
      read_dataset(out + "/unlabeled.labeled.tsv", task, options).examples.size();
  const auto joined = read_dataset(out + "/train.labeled.tsv", task, options);
  EXPECT_EQ(joined.examples.size(), transfer + labeled - dropped_as_gold);
  EXPECT_TRUE(joined.has_logits);
  size_t gold_rows = 0;
  for (const auto& e : joined.examples) gold_rows += e.label >= 0;
  EXPECT_EQ(gold_rows, 40u);  // the rest of train came in without its labels

  const std::string md = read_file(out + "/report.md");
  EXPECT_NE(md.find("## What each model saw"), std::string::npos) << md;
  EXPECT_NE(md.find("trained on SST-2 train"), std::string::npos) << md;
  EXPECT_NE(md.find("40 gold rows (a label-stratified sample"), std::string::npos) << md;
  EXPECT_NE(md.find("40 dropped as equal to a gold row"), std::string::npos) << md;
  EXPECT_NE(md.find("Undistilled student: the same 40 gold rows alone"), std::string::npos) << md;
  EXPECT_NE(md.find("chosen on dev"), std::string::npos) << md;

  // Another gold size takes the labeled unlabeled text: no relabeling. Without gold rows
  // nothing is augmented, so no POS model is needed.
  const std::string zero = dir.path("g0");
  const auto again = run_cli(common + "--gold-size 0 --transfer-from " + out + " --out " + zero);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("stage unlabeled: taken from"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("stage unlabeled: up to date, skipped"), std::string::npos) << again.err;
  EXPECT_FALSE(fs::exists(zero + "/baseline"));
  EXPECT_FALSE(fs::exists(zero + "/transfer.labeled.tsv"));
  const auto report = nlohmann::json::parse(read_file(zero + "/report.json"));
  EXPECT_EQ(report["models"].size(), 2u);
  EXPECT_EQ(report["data"]["gold_rows"], 0);
  EXPECT_EQ(read_dataset(zero + "/train.labeled.tsv", task, options).examples.size(), labeled);
  EXPECT_NE(read_file(zero + "/report.md").find("none (no gold labels to train it on)"),
            std::string::npos);

  // The two sizes make a learning curve: each size's row, gold-only undefined at 0.
  const auto curve = run_cli("report --runs " + out + " " + zero + " --out " + dir.path("c.md"));
  ASSERT_EQ(curve.exit_code, 0) << curve.err;
  const std::string table = read_file(dir.path("c.md"));
  EXPECT_NE(table.find("Learning curve"), std::string::npos) << table;
  EXPECT_NE(table.find("; rest of train + unlabeled.txt | 40 | 1 |"), std::string::npos) << table;
  EXPECT_NE(table.find(" | 0 | 1 | "), std::string::npos) << table;
  EXPECT_NE(table.find("| undefined |"), std::string::npos) << table;
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    EXPECT_TRUE(fs::exists(dir.path("c.png")));
    EXPECT_NE(table.find("![learning curve](c.png)"), std::string::npos) << table;
    // One teacher for both runs: its accuracy is a line across the plot.
    EXPECT_NE(read_file(dir.path("c.png.gp")).find("title 'teacher'"), std::string::npos);
  }
}

TEST(Distill, BadGoldSizesAndUnlabeledFilesAreRefusedBeforeAnyWork) {
  test::TempDir dir;
  write_distill_inputs(dir, 150);
  const std::string common = "distill --task sst2 --data " + dir.path("data") + " --teacher " +
                             shared("fixtures/bert/tiny-sst2-f32") + " --pos-model " +
                             dir.path("tagger.pos") + " --out " + dir.path("out") + " ";
  auto last_line = [](const std::string& err) {
    std::string text = err.substr(0, err.find_last_not_of('\n') + 1);
    return text.substr(text.rfind('\n') + 1);
  };
  auto result = run_cli(common + "--gold-size 151");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(
      last_line(result.err).find("train.tsv: --gold-size 151 is more than its 150 labeled rows"),
      std::string::npos)
      << result.err;
  result = run_cli(common + "--gold-size 0");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--gold-size 0 leaves the students nothing to learn from"),
            std::string::npos)
      << result.err;
  result = run_cli(common + "--unlabeled " + dir.path("nothing.txt"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("nothing.txt: no such file (--unlabeled)"), std::string::npos)
      << result.err;
  result = run_cli(common + "--gold-size many");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--gold-size: expected a number of rows or 'all'"), std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(dir.path("out")));
  // An empty unlabeled file: one error naming it, nothing of the stage written.
  const std::string empty = dir.write("empty.txt", "");
  result = run_cli(common + "--gold-size 20 --n-iter 1 --unlabeled " + empty);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(last_line(result.err).find("empty.txt: empty file"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir.path("out/unlabeled.tsv")));
  EXPECT_FALSE(fs::exists(dir.path("out/unlabeled.labeled.tsv")));
}

// issue 17: a second distill on a directory in use stops with one clear error.
TEST(Distill, ASecondRunOnTheSameDirectoryStopsWithALockError) {
  test::TempDir dir;
  write_distill_inputs(dir, 50);
  fs::create_directories(dir.path("run"));
  const DirectoryLock held(dir.path("run"));  // as a first run would hold it
  const auto second =
      run_cli("distill --task sst2 --data " + dir.path("data") + " --teacher " +
              shared("fixtures/bert/tiny-sst2-f32") + " --pos-model " + dir.path("tagger.pos") +
              " --epochs 1 --hidden 16 --fc 16 --threads 1 --out " + dir.path("run"));
  EXPECT_NE(second.exit_code, 0);
  EXPECT_EQ(std::count(second.err.begin(), second.err.end(), '\n'), 1) << second.err;
  EXPECT_NE(second.err.find(dir.path("run") + ": another run is using this directory (process " +
                            std::to_string(getpid()) + ")"),
            std::string::npos)
      << second.err;
  EXPECT_FALSE(fs::exists(dir.path("run/manifest.json")));
  EXPECT_FALSE(fs::exists(dir.path("run/transfer.tsv")));
}

// Students of other seeds or settings on one labeled transfer set: --transfer-from takes
// another run's augment and label stages, and reruns them where this run's settings differ.
TEST(Distill, AnotherDirectoryTakesTheTransferSetAndTrainsOnlyItsStudents) {
  test::TempDir dir;
  write_distill_inputs(dir, 60);
  const std::string common = "distill --task sst2 --data " + dir.path("data") + " --teacher " +
                             shared("fixtures/bert/tiny-sst2-f32") + " --pos-model " +
                             dir.path("tagger.pos") +
                             " --n-iter 1 --epochs 1 --hidden 8 --fc 8 --threads 1";
  const std::string first = dir.path("first"), second = dir.path("second");
  const std::string take = common + " --no-baseline --student-seed 2 --transfer-from " + first;

  for (const char* stop : {"", "augment"}) {  // no directory there yet; then not labeled yet
    if (*stop) {
      ASSERT_EQ(run_cli(common + " --out " + first + " --stop-after " + stop).exit_code, 0);
    }
    const auto early = run_cli(take + " --out " + second);
    EXPECT_NE(early.exit_code, 0);
    EXPECT_EQ(std::count(early.err.begin(), early.err.end(), '\n'), 1) << early.err;
    EXPECT_NE(early.err.find(first + "/manifest.json: no finished label stage"), std::string::npos)
        << early.err;
    EXPECT_FALSE(fs::exists(second + "/transfer.tsv"));
    EXPECT_FALSE(fs::exists(second + "/manifest.json"));
  }
  ASSERT_EQ(run_cli(common + " --out " + first + " --stop-after label").exit_code, 0);
  const std::string labeled = read_file(first + "/transfer.labeled.tsv");
  const std::string transfer = read_file(first + "/transfer.tsv");

  const auto taken = run_cli(take + " --out " + second);
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  for (const char* line : {"stage augment: taken from", "stage label: taken from",
                           "stage augment: up to date, skipped", "stage label: up to date, skipped",
                           "stage student: running"})
    EXPECT_NE(taken.err.find(line), std::string::npos) << line << "\n" << taken.err;
  EXPECT_TRUE(read_file(second + "/transfer.labeled.tsv") == labeled);
  const auto report = nlohmann::json::parse(read_file(second + "/report.json"));
  EXPECT_EQ(report["models"].size(), 2u);  // teacher and distilled student
  EXPECT_EQ(report["transfer_rows"].get<size_t>(),
            std::count(labeled.begin(), labeled.end(), '\n') - 1);
  EXPECT_NE(run_cli(take + " --out " + second).err.find("stage report: up to date, skipped"),
            std::string::npos);
  // The default loss (issue 15): the gold labels at weight 0.5 beside KL at T 2.
  EXPECT_EQ(report["models"][1]["name"], "BiLSTM distilled (alpha 0.5, KL at T 2)");

  // The gold labels kept on the original rows: the student trains again, its name says so,
  // and the defaults spelled out leave the runs made without these flags up to date.
  const auto kept = run_cli(take + " --alpha-rows originals --out " + second);
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_NE(kept.err.find("stage student: running"), std::string::npos) << kept.err;
  EXPECT_EQ(nlohmann::json::parse(read_file(second + "/report.json"))["models"][1]["name"],
            "BiLSTM distilled (alpha 0.5 on originals, KL at T 2)");
  const std::string plain = dir.path("plain");
  const auto spelled =
      run_cli(take + " --alpha 0.5 --alpha-rows all --kl-temperature 2 --out " + plain);
  ASSERT_EQ(spelled.exit_code, 0) << spelled.err;
  EXPECT_NE(run_cli(take + " --out " + plain).err.find("stage student: up to date"),
            std::string::npos);
  // The paper's loss, BiLSTM_SOFT, is two flags away.
  const auto paper = run_cli(take + " --alpha 0 --kl-temperature 0 --out " + plain);
  ASSERT_EQ(paper.exit_code, 0) << paper.err;
  EXPECT_NE(paper.err.find("stage student: running"), std::string::npos) << paper.err;
  EXPECT_EQ(nlohmann::json::parse(read_file(plain + "/report.json"))["models"][1]["name"],
            "BiLSTM distilled (BiLSTM_SOFT)");

  // Other augmentation settings: augment and label rerun here, and the first run's files,
  // linked before, keep their bytes.
  const auto other = run_cli(take + " --p-mask 0.3 --out " + dir.path("third"));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.err.find("stage augment: running"), std::string::npos) << other.err;
  EXPECT_NE(other.err.find("stage label: running"), std::string::npos) << other.err;
  EXPECT_TRUE(read_file(first + "/transfer.labeled.tsv") == labeled);
  EXPECT_TRUE(read_file(first + "/transfer.tsv") == transfer);
  EXPECT_FALSE(read_file(dir.path("third/transfer.labeled.tsv")) == labeled);

  const auto itself = run_cli(common + " --out " + first + " --transfer-from " + first);
  EXPECT_NE(itself.exit_code, 0);
  EXPECT_NE(itself.err.find("is the output directory itself"), std::string::npos) << itself.err;
}

// issue 19: a generic task without labels= gets its label names once, from the training
// file, for every stage (the report stage used to find none: "expected one of: ").
TEST(Distill, AGenericTaskWithoutALabelListRunsEveryStage) {
  test::TempDir dir;
  write_distill_inputs(dir, 60);
  const auto result = run_cli(
      "distill --task tsv:text_a=sentence,label=label --data " + dir.path("data") + " --teacher " +
      shared("fixtures/bert/tiny-sst2-f32") + " --pos-model " + dir.path("tagger.pos") +
      " --n-iter 1 --epochs 1 --hidden 8 --fc 8 " + "--threads 1 --out " + dir.path("run"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(read_file(dir.path("run/report.json")));
  EXPECT_EQ(report["task"], "tsv:text_a=sentence,label=label,labels=0|1");
  EXPECT_EQ(report["models"][0]["metrics"]["total"].get<int>(), 872);
}

// SICK pairs as rows of `fields(a, b, label)`, with a header: stand-ins for MNLI and QQP
// files in GLUE's exact layouts.
std::string sick_as(const std::string& header, size_t begin, size_t n,
                    const std::function<std::string(const std::string&, const std::string&,
                                                    const std::string&, size_t)>& fields) {
  std::istringstream in(read_file(shared("data/pairs/SICK/SICK.txt")));
  std::string line, out = header + "\n";
  std::getline(in, line);  // SICK's header
  for (size_t i = 0; i < begin + n && std::getline(in, line); ++i) {
    if (i < begin) continue;
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, '\t');) f.push_back(cell);
    out += fields(f[1], f[2], f[4], i) + "\n";
  }
  return out;
}

// issue 19: distill --task mnli and --task qqp on GLUE's directory layouts, end to end on
// tiny files; MNLI's report scores both dev sets.
TEST(Distill, MnliAndQqpRunOnGlueLayouts) {
  test::TempDir dir;
  fs::create_directories(dir.path("mnli"));
  fs::create_directories(dir.path("qqp"));
  const std::string mnli_train_header =
      "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
      "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label";
  const std::string mnli_dev_header =
      "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
      "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\t"
      "label4\tlabel5\tgold_label";
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  auto mnli_row = [&](size_t extra_labels) {
    return [&, extra_labels](const std::string& a, const std::string& b, const std::string& label,
                             size_t i) {
      std::string row =
          std::to_string(i) + "\t1\t1\tfiction\t( x )\t( y )\t(ROOT x)\t(ROOT y)\t" + a + "\t" + b;
      for (size_t k = 0; k < 1 + extra_labels; ++k) row += "\t" + lower(label);
      return row + "\t" + lower(label);
    };
  };
  dir.write("mnli/train.tsv", sick_as(mnli_train_header, 0, 80, mnli_row(0)));
  dir.write("mnli/dev_matched.tsv", sick_as(mnli_dev_header, 100, 30, mnli_row(4)));
  dir.write("mnli/dev_mismatched.tsv", sick_as(mnli_dev_header, 200, 25, mnli_row(4)));
  auto qqp_row = [](const std::string& a, const std::string& b, const std::string& label,
                    size_t i) {
    return std::to_string(i) + "\t" + std::to_string(2 * i) + "\t" + std::to_string(2 * i + 1) +
           "\t" + a + "\t" + b + "\t" + (label == "ENTAILMENT" ? "1" : "0");
  };
  const std::string qqp_header = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate";
  dir.write("qqp/train.tsv", sick_as(qqp_header, 0, 80, qqp_row));
  dir.write("qqp/dev.tsv", sick_as(qqp_header, 100, 30, qqp_row));
  fs::path tagger = dir.path("tagger.pos");
  PosTagger::train(read_conllu(shared("data/pos/UD_English-EWT/en_ewt-ud-dev.conllu")),
                   TaggerTrainOptions{1})
      .save(tagger.string());

  const std::string common =
      " --pos-model " + tagger.string() + " --n-iter 1 --epochs 1 --hidden 8 --fc 8 --threads 1";
  const auto mnli =
      run_cli("distill --task mnli --data " + dir.path("mnli") + " --teacher " +
              shared("fixtures/bert/small-nli-f16") + " --out " + dir.path("mnli-run") + common);
  ASSERT_EQ(mnli.exit_code, 0) << mnli.err;
  const auto mnli_report = nlohmann::json::parse(read_file(dir.path("mnli-run/report.json")));
  EXPECT_EQ(mnli_report["models"][0]["metrics"]["total"].get<int>(), 30);
  ASSERT_EQ(mnli_report["more_dev"].size(), 1u);
  EXPECT_EQ(mnli_report["more_dev"][0]["dev"], dir.path("mnli") + "/dev_mismatched.tsv");
  ASSERT_EQ(mnli_report["more_dev"][0]["models"].size(), 3u);
  EXPECT_EQ(mnli_report["more_dev"][0]["models"][2]["metrics"]["total"].get<int>(), 25);
  EXPECT_NE(read_file(dir.path("mnli-run/report.md")).find("Also scored on"), std::string::npos);

  const auto qqp =
      run_cli("distill --task qqp --data " + dir.path("qqp") + " --teacher " +
              shared("fixtures/bert/tiny-sst2-f32") + " --out " + dir.path("qqp-run") + common);
  ASSERT_EQ(qqp.exit_code, 0) << qqp.err;
  const auto qqp_report = nlohmann::json::parse(read_file(dir.path("qqp-run/report.json")));
  EXPECT_EQ(qqp_report["models"][1]["metrics"]["total"].get<int>(), 30);
  EXPECT_TRUE(qqp_report["models"][1]["metrics"].contains("f1"));  // of the positive class
  EXPECT_FALSE(qqp_report.contains("more_dev"));

  // MNLI's layout is required whole.
  fs::remove(dir.path("mnli/dev_mismatched.tsv"));
  const auto missing =
      run_cli("distill --task mnli --data " + dir.path("mnli") + " --teacher " +
              shared("fixtures/bert/small-nli-f16") + " --out " + dir.path("mnli-run2") + common);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("dev_mismatched.tsv: no such file"), std::string::npos) << missing.err;
}

// issue 15: runs that differ only by --student-seed are summarized as mean ± sd (min-max);
// where a run took its transfer set from another (--transfer-from) is not a difference.
TEST(Report, SummarizesRunsThatDifferOnlyByTheStudentSeed) {
  test::TempDir dir;
  auto run = [&](const std::string& name, const std::string& seed_flags, double distilled,
                 double undistilled, const std::string& embeddings, double split = -1,
                 const std::string& loss = "alpha 0.5, KL at T 2") {
    const std::string out = dir.path(name);
    std::filesystem::create_directories(out);
    const nlohmann::json report = {
        {"command", "bert2bilstm distill --task sst2 --out " + out + seed_flags + " --epochs 4"},
        {"transfer_rows", 1000},
        {"models",
         {{{"role", "teacher"}, {"metrics", {{"accuracy", 0.8567}}}},
          {{"role", "distilled"},
           {"name", "BiLSTM distilled (" + loss + ")"},
           {"embeddings", embeddings},
           {"metrics", {{"accuracy", distilled}}}},
          {{"role", "undistilled"}, {"metrics", {{"accuracy", undistilled}}}}}}};
    nlohmann::json with_split = report;
    if (split >= 0) {  // where the teacher is right / wrong, as reports since issue 15 have it
      with_split["models"][1]["where_teacher_right"] = split;
      with_split["models"][1]["where_teacher_wrong"] = split / 4;
      with_split["models"][2]["where_teacher_right"] = split - 0.05;
      with_split["models"][2]["where_teacher_wrong"] = 0.5;
    }
    dir.write(name + "/report.json", with_split.dump());
    return out;
  };
  const std::string runs[] = {
      run("s1", " --student-seed 1", 0.84, 0.82, "rand", 0.94),
      run("s2", " --student-seed 2 --transfer-from s1", 0.85, 0.83, "rand", 0.96),
      run("s3", " --student-seed 3 --threads 1", 0.86, 0.81, "rand", 0.95),
      run("other", " --vectors v.txt", 0.80, 0.79, "non-static, v.txt"),
      run("a1", " --alpha 0 --kl-temperature 0 --student-seed 1", 0.87, 0.82, "rand", -1,
          "BiLSTM_SOFT"),
      run("a2", " --alpha 0 --kl-temperature 0 --student-seed 2", 0.85, 0.83, "rand", -1,
          "BiLSTM_SOFT")};
  const std::string table = compare_reports({runs[0], runs[1], runs[2], runs[3], runs[4], runs[5]});
  // distilled 84, 85, 86; undistilled 82, 83, 81; gains 2, 2, 5 (sd sqrt(3))
  EXPECT_NE(table.find("| rand | 3 | 85.00 ± 1.00 (84.00-86.00) | 82.00 ± 1.00 (81.00-83.00) | "
                       "+3.00 ± 1.73 (+2.00 to +5.00) | " +
                       runs[0] + " |"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("| non-static, v.txt | 1 |"), std::string::npos) << table;  // alone
  // Another loss is another group, and the table says which (the default's name is left out).
  EXPECT_NE(table.find("| rand; BiLSTM_SOFT | 2 | 86.00 ± 1.41 (85.00-87.00) |"), std::string::npos)
      << table;
  EXPECT_NE(table.find("| " + runs[4] + " | rand; BiLSTM_SOFT | 1000 |"), std::string::npos)
      << table;
  // right 94, 96, 95 (distilled) and 89, 91, 90; wrong 23.5, 24, 23.75 and 50 each
  EXPECT_NE(table.find("| rand | 3 | 95.00 ± 1.00 (94.00-96.00) | 90.00 ± 1.00 (89.00-91.00) | "
                       "23.75 ± 0.25 (23.50-24.00) | 50.00 ± 0.00 (50.00-50.00) |"),
            std::string::npos)
      << table;
}

// issue 32: a command is compared word for word as the shell splits it, so a report written
// with its command shell-quoted and one written before that (unquoted) are seeds of one
// setting; --no-baseline only leaves the undistilled student out.
TEST(Report, GroupsSeedsWhateverTheQuotingAndWithoutBaselines) {
  test::TempDir dir;
  auto run = [&](const std::string& name, const std::string& flags, double distilled,
                 double undistilled) {
    const std::string out = dir.path(name);
    std::filesystem::create_directories(out);
    nlohmann::json report = {
        {"command", "bert2bilstm distill --task sst2 " + flags + " --out " + out},
        {"transfer_rows", 1000},
        {"models",
         {{{"role", "teacher"}, {"metrics", {{"accuracy", 0.8567}}}},
          {{"role", "distilled"},
           {"name", "BiLSTM distilled (alpha 0.5, KL at T 2)"},
           {"embeddings", "rand"},
           {"metrics", {{"accuracy", distilled}}}}}}};
    if (undistilled >= 0)
      report["models"].push_back(
          {{"role", "undistilled"}, {"metrics", {{"accuracy", undistilled}}}});
    dir.write(name + "/report.json", report.dump());
    return out;
  };
  const std::string table = compare_reports(
      {run("q1", "--teacher-trained-on 'SST-2 train (482 steps)' --student-seed 1", 0.84, 0.62),
       run("q2", "--teacher-trained-on SST-2 train (482 steps) --student-seed 2", 0.86, 0.64),
       run("q3",
           "--teacher-trained-on SST-2\\ train\\ \\(482\\ steps\\) --student-seed 3 --no-baseline",
           0.85, -1),
       run("other", "--teacher-trained-on 'SST-2 train (482 steps), again' --student-seed 4", 0.5,
           0.5)});
  // distilled 84, 86, 85 in one group; undistilled 62 and 64 from the two that have one
  EXPECT_NE(
      table.find("| rand | 3 | 85.00 ± 1.00 (84.00-86.00) | 63.00 ± 1.41 (62.00-64.00) | - |"),
      std::string::npos)
      << table;
  EXPECT_EQ(table.find("| rand | 4 |"), std::string::npos) << table;  // "again" is another setting
}

// A teacher below the gold-only student means distillation cannot help; a distilled student
// above its teacher (issue 32's students past the teacher) does not mean the teacher is too
// weak, and without a gold-only student the report says only what it cannot tell.
TEST(Report, NoteTellsAGoldOnlyStudentAboveTheTeacherFromADistilledOne) {
  EXPECT_EQ(teacher_student_note(85.67, 85.00, true), "");
  EXPECT_EQ(teacher_student_note(85.67, 85.67, false), "");
  const std::string gold = teacher_student_note(80.00, 81.50, true);
  EXPECT_NE(gold.find("the teacher (80.00%) scores below the student trained on the gold labels "
                      "alone (81.50%)"),
            std::string::npos)
      << gold;
  EXPECT_NE(gold.find("needs a stronger teacher"), std::string::npos) << gold;
  const std::string distilled = teacher_student_note(85.67, 86.81, false);
  EXPECT_NE(distilled.find("the distilled student (86.81%) scores above its teacher (85.67%)"),
            std::string::npos)
      << distilled;
  EXPECT_NE(distilled.find("cannot say what distillation added"), std::string::npos) << distilled;
  EXPECT_EQ(distilled.find("stronger teacher"), std::string::npos) << distilled;
  EXPECT_EQ(std::count(distilled.begin(), distilled.end(), '\n'), 1);
}

}  // namespace
}  // namespace b2b
