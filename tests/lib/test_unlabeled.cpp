// Unlabeled text for the transfer set (data/unlabeled.h): both layouts, deduplication against
// dev/test and within the sources as the student reads texts, seeded samples, bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "data/dataset.h"
#include "data/unlabeled.h"
#include "test_util.h"
#include "util/atomic_file.h"

namespace b2b {
namespace {

namespace fs = std::filesystem;

std::vector<Example> rows_of(const std::string& path, TaskSpec task) {
  ReadOptions options;
  options.labels_required = false;
  return read_dataset(path, task, options).examples;
}

std::vector<std::string> texts_of(const std::string& path, const TaskSpec& task) {
  std::vector<std::string> texts;
  for (const auto& e : rows_of(path, task)) texts.push_back(e.text_a);
  return texts;
}

// The first `n` lines of the IMDB sentences, then the given lines.
std::string imdb_head(size_t n) {
  std::ifstream in(test::shared("data/unlabeled/imdb-unsup-sentences.txt"));
  std::string line, out;
  for (size_t i = 0; i < n && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

TEST(Unlabeled, APlainFileIsOneTextALineAndBlankLinesAreCounted) {
  test::TempDir dir;
  const TaskSpec task = parse_task("sst2");
  const std::string file = dir.write("u.txt", "A fine film .\n\n   \t\nSecond one\r\nthird\n");
  // (a whitespace-only line with a TAB in it is blank, not a column)
  UnlabeledReader reader(file, task);
  EXPECT_FALSE(reader.delimited());
  Example e;
  std::vector<std::string> got;
  while (reader.next(e)) got.push_back(e.text_a);
  EXPECT_EQ(got, (std::vector<std::string>{"A fine film .", "Second one", "third"}));
  EXPECT_EQ(reader.blank(), 2u);
}

TEST(Unlabeled, AHeaderNamingTheTextColumnMakesADelimitedFileAndOtherColumnsAreIgnored) {
  test::TempDir dir;
  const TaskSpec task = parse_task("sst2");
  const std::string file = dir.write("u.tsv", "id\tsentence\tlabel\n1\tgood fun\t1\n2\t \t0\n");
  UnlabeledReader reader(file, task);
  EXPECT_TRUE(reader.delimited());
  Example e;
  ASSERT_TRUE(reader.next(e));
  EXPECT_EQ(e.text_a, "good fun");
  EXPECT_EQ(e.label, -1);
  EXPECT_FALSE(reader.next(e));
  EXPECT_EQ(reader.blank(), 1u);
}

TEST(Unlabeled, BadFilesGetOneErrorNamingTheFileAndLine) {
  test::TempDir dir;
  const TaskSpec sst2 = parse_task("sst2");
  auto error = [&](const std::string& name, const std::string& content, const TaskSpec& task) {
    const std::string path = dir.write(name, content);
    return test::error_of([&] {
      UnlabeledReader reader(path, task);
      Example e;
      while (reader.next(e)) {
      }
    });
  };
  std::string m = error("empty.txt", "", sst2);
  EXPECT_NE(m.find("empty.txt: empty file"), std::string::npos) << m;
  // A label column where none is expected: a plain file whose lines hold a TAB.
  m = error("labeled.txt", "a good film\nbad film\t0\n", sst2);
  EXPECT_NE(m.find("labeled.txt:2: holds a TAB"), std::string::npos) << m;
  m = error("utf8.txt", "fine\nbad \xff byte\n", sst2);
  EXPECT_NE(m.find("utf8.txt:2: invalid UTF-8"), std::string::npos) << m;
  m = error("fields.tsv", "sentence\tlabel\nfine\t1\nshort\n", sst2);
  EXPECT_NE(m.find("fields.tsv:3: expected 2 tab-separated fields, found 1"), std::string::npos)
      << m;
  const TaskSpec pair = parse_task("tsv:text_a=q1,text_b=q2");
  m = error("pair.txt", "what is it\n", pair);
  EXPECT_NE(m.find("pair.txt: a pair task's unlabeled file is delimited"), std::string::npos) << m;
  m = test::error_of([&] { UnlabeledReader reader(dir.path("missing.txt"), sst2); });
  EXPECT_NE(m.find("missing.txt: no such file"), std::string::npos) << m;

  // Only blank lines: an error from the collector, and nothing written.
  const std::string blank = dir.write("blank.txt", "\n  \n");
  const UnlabeledCollector collector(sst2, {});
  m = test::error_of([&] { collector.write({blank}, dir.path("out.tsv"), {}); });
  EXPECT_NE(m.find("blank.txt: holds no text"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(dir.path("out.tsv")));
  // An error in the second source leaves no output either.
  const std::string good = dir.write("good.txt", "one\ntwo\n");
  m = test::error_of([&] {
    collector.write({good, dir.path("utf8.txt")}, dir.path("out.tsv"), {});
  });
  EXPECT_NE(m.find("utf8.txt:2"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(dir.path("out.tsv")));
}

// Every SST-2 dev and test sentence hidden among IMDB sentences, re-cased and re-spaced: none
// reaches the output; repeats are dropped; the rest is kept in order.
TEST(Unlabeled, DevAndTestTextsAndRepeatsAreDroppedAsTheStudentReadsThem) {
  test::TempDir dir;
  TaskSpec task = parse_task("sst2");
  const std::string dev = test::shared("data/glue/SST-2/dev.tsv");
  const std::string test_file = test::shared("data/glue/SST-2/test.tsv");
  std::string text = imdb_head(2000);
  size_t planted = 0;
  for (const std::string& path : {dev, test_file}) {
    for (const std::string& t : texts_of(path, task)) {
      std::string variant = t;  // "it 's a charming ..." -> "IT 'S A CHARMING ..." without spaces
      for (char& c : variant) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (variant.size() > 2 && variant.rfind(" .") == variant.size() - 2)
        variant.erase(variant.size() - 2, 1);
      text += variant + "\n";
      ++planted;
    }
  }
  text += imdb_head(2000);  // the same 2,000 again: all repeats
  const std::string source = dir.write("mixed.txt", text);
  const UnlabeledCollector collector(task, {dev, test_file});
  const UnlabeledSummary summary = collector.write({source}, dir.path("u.tsv"), {});
  ASSERT_EQ(summary.sources.size(), 1u);
  const auto& count = summary.sources[0];
  EXPECT_EQ(count.texts, 4000 + planted);
  EXPECT_GE(count.held_out, planted);  // each planted text, and any IMDB one equal to one
  EXPECT_LE(count.held_out, planted + 10);
  EXPECT_EQ(count.held_out + count.duplicates + count.kept, count.texts);
  EXPECT_GE(count.duplicates, 2000u);
  EXPECT_EQ(summary.written, count.kept);

  // Independently: no output row equals a dev/test text once lower-cased with spaces removed.
  auto squash = [](std::string s) {
    std::string out;
    for (char c : s)
      if (c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  std::set<std::string> held;
  for (const std::string& path : {dev, test_file})
    for (const std::string& t : texts_of(path, task)) held.insert(squash(t));
  const auto kept = texts_of(dir.path("u.tsv"), task);
  std::set<std::string> distinct;
  for (const auto& t : kept) {
    EXPECT_EQ(held.count(squash(t)), 0u) << t;
    distinct.insert(squash(t));
  }
  EXPECT_EQ(distinct.size(), kept.size());
  // The IMDB sentences kept are the first occurrences, in file order.
  std::istringstream first(imdb_head(2000));
  std::string line;
  std::getline(first, line);
  EXPECT_EQ(kept.front(), line);
}

TEST(Unlabeled, ASeededSampleIsReproducibleInFileOrderAndASubset) {
  test::TempDir dir;
  const TaskSpec task = parse_task("sst2");
  const std::string source = dir.write("imdb.txt", imdb_head(3000));
  const UnlabeledCollector collector(task, {});
  const auto all = collector.write({source}, dir.path("all.tsv"), {});
  const auto a = collector.write({source}, dir.path("a.tsv"), {500, 7});
  collector.write({source}, dir.path("b.tsv"), {500, 7});
  collector.write({source}, dir.path("c.tsv"), {500, 8});
  EXPECT_EQ(a.written, 500u);
  EXPECT_EQ(a.distinct, all.distinct);
  EXPECT_EQ(read_file(dir.path("a.tsv")), read_file(dir.path("b.tsv")));
  EXPECT_NE(read_file(dir.path("a.tsv")), read_file(dir.path("c.tsv")));
  // A subsequence of all the texts: in file order, none new.
  const auto every = texts_of(dir.path("all.tsv"), task);
  const auto sample = texts_of(dir.path("a.tsv"), task);
  size_t at = 0, late = 0;
  for (const auto& t : sample) {
    while (at < every.size() && every[at] != t) ++at;
    ASSERT_LT(at, every.size()) << "not in order, or not a text of the file: " << t;
    if (at >= every.size() / 2) ++late;
  }
  // Uniform, not the first rows: about half the sample from the second half of the file.
  EXPECT_GT(late, 200u);
  EXPECT_LT(late, 300u);
  // A first source kept whole (distill's rest of train), the sample drawn from the others.
  const std::string first = dir.write("first.txt", "one\ntwo\nthree\n");
  const auto mixed = collector.write({first, source}, dir.path("m.tsv"), {500, 7, 1});
  EXPECT_EQ(mixed.written, 503u);
  const auto rows = texts_of(dir.path("m.tsv"), task);
  EXPECT_EQ(std::vector<std::string>(rows.begin(), rows.begin() + 3),
            (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(std::vector<std::string>(rows.begin() + 3, rows.end()), sample);
  // A sample as large as the texts is all of them.
  collector.write({source}, dir.path("d.tsv"), {all.distinct, 7});
  EXPECT_EQ(read_file(dir.path("d.tsv")), read_file(dir.path("all.tsv")));
}

TEST(Unlabeled, PairsAreComparedAsPairs) {
  test::TempDir dir;
  const TaskSpec task = parse_task("tsv:text_a=q1,text_b=q2");
  const std::string dev = dir.write("dev.tsv", "q1\tq2\tlabel\nHow old is he?\tWho is he?\t0\n");
  const std::string source =
      dir.write("u.tsv",
                "q1\tq2\nhow old is he ?\twho is he ?\nhow old is he?\tWhere is he?\n"
                "Where is he?\tHow old is he?\nhow old is HE?\twhere is he ?\n");
  const UnlabeledCollector collector(task, {dev});
  const auto summary = collector.write({source}, dir.path("out.tsv"), {});
  EXPECT_EQ(summary.sources[0].held_out, 1u);    // the dev pair, re-spaced
  EXPECT_EQ(summary.sources[0].duplicates, 1u);  // the second pair again
  const auto rows = rows_of(dir.path("out.tsv"), task);
  ASSERT_EQ(rows.size(), 2u);  // one text of the dev pair with another: kept; reversed: kept
  EXPECT_EQ(rows[0].text_b, "Where is he?");
  EXPECT_EQ(rows[1].text_a, "Where is he?");
}

TEST(Unlabeled, JoiningDropsTheRowsEqualToAGoldText) {
  test::TempDir dir;
  const TaskSpec task = parse_task("sst2");
  const std::string gold = dir.write("gold.tsv", "sentence\tlabel\nA good film\t1\n");
  const std::string transfer = dir.write(
      "t.tsv", "sentence\tlabel\tlogit_0\tlogit_1\nA good film\t1\t-1\t1\nA [MASK] film\t\t0\t0\n");
  const std::string unlabeled = dir.write(
      "u.tsv", "sentence\tlabel\tlogit_0\tlogit_1\na good film\t\t-2\t2\nanother\t\t1\t-1\n");
  EXPECT_EQ(join_transfer_sets(task, gold, transfer, unlabeled, dir.path("j.tsv")), 1u);
  EXPECT_EQ(read_file(dir.path("j.tsv")),
            "sentence\tlabel\tlogit_0\tlogit_1\nA good film\t1\t-1\t1\nA [MASK] film\t\t0\t0\n"
            "another\t\t1\t-1\n");
  // Without gold rows: the unlabeled rows alone.
  EXPECT_EQ(join_transfer_sets(task, "", "", unlabeled, dir.path("k.tsv")), 0u);
  EXPECT_EQ(read_file(dir.path("k.tsv")), read_file(unlabeled));
}

}  // namespace
}  // namespace b2b
