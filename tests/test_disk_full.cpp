// issue 17: every command that writes, run out of space (a file-size limit, `ulimit -f`, which
// fails writes with EFBIG as a full disk fails them with ENOSPC): one error line naming the
// path, a non-zero exit, nothing under the final name, an earlier output left as it was.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "pos/conllu.h"
#include "pos/tagger.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

namespace fs = std::filesystem;
using test::shared;

// `bert2bilstm <args>` with writes limited to `kb` KiB per file.
test::CommandResult run_with_file_limit(const test::TempDir& dir, const std::string& args, int kb) {
  const std::string script = dir.write(
      "limited.sh", "ulimit -f " + std::to_string(kb) + "\nexec " + std::string(B2B_BINARY) + " " +
                        args + " > " + dir.path("out.txt") + " 2> " + dir.path("err.txt") + "\n");
  const int status = std::system(("bash " + script).c_str());
  test::CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(dir.path("out.txt"));
  result.err = read_file(dir.path("err.txt"));
  return result;
}

// Progress lines may come first; the error is one line, the last.
void expect_one_error_line(const std::string& err) {
  size_t errors = 0;
  std::istringstream lines(err);
  std::string line, last;
  while (std::getline(lines, line)) {
    errors += line.rfind("error: ", 0) == 0;
    last = line;
  }
  EXPECT_EQ(errors, 1u) << err;
  EXPECT_EQ(last.rfind("error: ", 0), 0u) << err;
}

// A file's bytes, or every file of a directory by name.
std::map<std::string, std::string> contents(const std::string& path) {
  std::map<std::string, std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::recursive_directory_iterator(path))
      if (entry.is_regular_file() && entry.path().filename() != ".lock")  // holds a process id
        files[fs::relative(entry.path(), path).string()] = read_file(entry.path().string());
  } else if (fs::exists(path)) {
    files[""] = read_file(path);
  }
  return files;
}

struct Case {
  std::string name;
  std::string args;    // "{OUT}" stands for the output
  std::string output;  // the final name
  std::string reseed;  // a flag that changes the output, for the earlier-output run
  int limit_kb;
};

TEST(DiskFull, EveryWriterFailsCleanlyAndKeepsTheEarlierOutput) {
  test::TempDir dir;
  std::istringstream rows(read_file(shared("data/glue/SST-2/train.tsv")));
  std::string line, head;
  for (int i = 0; i <= 120 && std::getline(rows, line); ++i) head += line + "\n";
  fs::create_directories(dir.path("data"));
  const std::string train = dir.write("data/train.tsv", head);
  const std::string dev = dir.write("data/dev.tsv", head.substr(0, head.find('\n', 3000) + 1));
  fs::copy(dev, dir.path("data/dev-copy.tsv"));
  const std::string tagger = dir.path("tagger.pos");
  PosTagger::train(read_conllu(shared("data/pos/UD_English-EWT/en_ewt-ud-dev.conllu")),
                   TaggerTrainOptions{1})
      .save(tagger);
  const std::string teacher = shared("fixtures/bert/tiny-sst2-f32");
  const std::string transfer = dir.path("transfer.tsv");
  std::istringstream imdb(read_file(shared("data/unlabeled/imdb-unsup-sentences.txt")));
  std::string sentences;
  for (int i = 0; i < 300 && std::getline(imdb, line); ++i) sentences += line + "\n";
  const std::string unlabeled = dir.write("unlabeled.txt", sentences);
  const auto augmented = test::run_cli("augment --task sst2 --input " + train + " --output " +
                                       transfer + " --pos-model " + tagger + " --n-iter 4");
  ASSERT_EQ(augmented.exit_code, 0) << augmented.err;

  const std::vector<Case> cases = {
      {"augment",
       "augment --task sst2 --input " + train + " --output {OUT} --pos-model " + tagger +
           " --n-iter 4",
       dir.path("augmented.tsv"), " --seed 2", 8},
      {"teacher label",
       "teacher label --model " + teacher + " --task sst2 --input " + transfer +
           " --output {OUT} --chunk-rows 100 --threads 1",
       dir.path("labeled.tsv"), " --max-length 16", 8},
      {"student train",
       "student train --task sst2 --train " + train + " --dev " + dev +
           " --out {OUT} --epochs 1 --hidden 16 --fc 16 --threads 1",
       dir.path("student"), " --seed 2", 16},
      {"export",  // of the student the case above wrote
       "export --model " + dir.path("student") + " --format onnx --out {OUT}",
       dir.path("onnx/student.onnx"), " --opset 15", 16},
      {"teacher finetune",
       "teacher finetune --model " + teacher + " --task sst2 --train " + train + " --dev " + dev +
           " --out {OUT} --epochs 1 --lr 5e-5 --batch 16 --max-length 32 --threads 1",
       dir.path("finetuned"), " --seed 2", 1024},
      {"pos train",
       "pos train --conllu " + shared("data/pos/UD_English-EWT/en_ewt-ud-dev.conllu") +
           " --out {OUT} --iterations 1",
       dir.path("other.pos"), " --iterations 2", 64},
      {"split",
       "split --task sst2 --input " + train + " --out {OUT} --dev-ratio 0.2 --test-ratio 0",
       dir.path("split"), " --seed 2", 2},
      {"distill",
       "distill --task sst2 --data " + dir.path("data") + " --teacher " + teacher +
           " --pos-model " + tagger +
           " --n-iter 2 --epochs 1 --hidden 16 --fc 16 --threads 1 "
           "--out {OUT}",
       dir.path("distilled"), " --from augment --seed 2", 8},
      // Unlabeled text alone (--gold-size 0): its collection is the first big write.
      {"distill unlabeled",
       "distill --task sst2 --data " + dir.path("data") + " --teacher " + teacher +
           " --pos-model " + tagger + " --gold-size 0 --unlabeled " + unlabeled +
           " --epochs 1 --hidden 16 --fc 16 --threads 1 --out {OUT}",
       dir.path("distilled-unlabeled"), " --from unlabeled --unlabeled-size 250", 8},
  };
  auto with_output = [](std::string args, const std::string& output) {
    args.replace(args.find("{OUT}"), 5, output);
    return args;
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // With no earlier output: an error, and nothing under the final name.
    const auto failed = run_with_file_limit(dir, with_output(c.args, c.output), c.limit_kb);
    EXPECT_NE(failed.exit_code, 0) << failed.err;
    expect_one_error_line(failed.err);
    EXPECT_NE(failed.err.find("error: " + dir.path("")), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("File too large"), std::string::npos) << failed.err;
    if (c.name == "distill unlabeled") {
      EXPECT_FALSE(fs::exists(c.output + "/unlabeled.tsv"));
      EXPECT_FALSE(fs::exists(c.output + "/manifest.json"));
    } else if (c.name == "distill") {
      EXPECT_FALSE(fs::exists(c.output + "/transfer.tsv"));
      EXPECT_FALSE(fs::exists(c.output + "/manifest.json"));
    } else if (c.name == "split") {
      for (const char* part : {"/train.tsv", "/dev.tsv", "/test.tsv"})
        EXPECT_FALSE(fs::exists(c.output + part)) << part;
    } else {
      EXPECT_FALSE(fs::exists(c.output)) << c.output;
    }

    // An earlier output, then a run that would replace it runs out of space: it stays.
    const auto earlier = test::run_cli(with_output(c.args, c.output));
    ASSERT_EQ(earlier.exit_code, 0) << earlier.err;
    const auto before = contents(c.output);
    ASSERT_FALSE(before.empty());
    const auto again =
        run_with_file_limit(dir, with_output(c.args, c.output) + c.reseed, c.limit_kb);
    EXPECT_NE(again.exit_code, 0) << again.err;
    expect_one_error_line(again.err);
    EXPECT_TRUE(contents(c.output) == before) << "the earlier output changed";
    // No temporary files left beside it.
    for (const auto& entry : fs::directory_iterator(fs::path(c.output).parent_path())) {
      const std::string name = entry.path().filename().string();
      EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
      EXPECT_EQ(name.find(".old-"), std::string::npos) << name;
    }
  }
}

}  // namespace
}  // namespace b2b
