#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "data/dataset.h"
#include "data/transfer_set.h"
#include "test_util.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {
namespace {

using test::shared;

TEST(Dataset, ReadsSst2AsShipped) {
  TaskSpec task = parse_task("sst2");
  const Dataset train = read_dataset(shared("data/glue/SST-2/train.tsv"), task);
  EXPECT_EQ(train.examples.size(), 67349u);
  EXPECT_EQ(train.examples[0].text_a, "hide new secretions from the parental units ");
  EXPECT_EQ(train.examples[0].label, 0);
  const Dataset dev = read_dataset(shared("data/glue/SST-2/dev.tsv"), task);
  EXPECT_EQ(dev.examples.size(), 872u);
  size_t positive = 0;
  for (const auto& e : dev.examples) positive += e.label == 1;
  EXPECT_EQ(positive, 444u);
}

// issue 17: a file saved with a UTF-8 byte-order mark (as Windows editors and spreadsheet
// exports write it) reads as the same file without one.
TEST(Dataset, SkipsAByteOrderMark) {
  test::TempDir dir;
  const std::string rows = read_file(test::shared("data/glue/SST-2/dev.tsv"));
  TaskSpec task = parse_task("sst2");
  const Dataset plain = read_dataset(dir.write("plain.tsv", rows), task);
  const Dataset marked = read_dataset(dir.write("bom.tsv", "\xEF\xBB\xBF" + rows), task);
  ASSERT_EQ(marked.examples.size(), plain.examples.size());
  EXPECT_EQ(marked.examples.front().text_a, plain.examples.front().text_a);
  EXPECT_EQ(marked.examples.front().label, plain.examples.front().label);
}

TEST(Dataset, ReadsSickThroughTheGenericSpec) {
  TaskSpec task = parse_task("tsv:text_a=sentence_A,text_b=sentence_B,label=entailment_judgment");
  ReadOptions options;
  options.discover_labels = true;
  const Dataset data = read_dataset(shared("data/pairs/SICK/SICK.txt"), task, options);
  EXPECT_EQ(data.examples.size(), 9927u);
  EXPECT_EQ(task.labels, (std::vector<std::string>{"CONTRADICTION", "ENTAILMENT", "NEUTRAL"}));
  std::vector<int> counts(3);
  for (const auto& e : data.examples) ++counts[e.label];
  EXPECT_EQ(counts, (std::vector<int>{1459, 2857, 5611}));
  EXPECT_FALSE(data.examples[0].text_b.empty());
}

TEST(Dataset, ReadsQuoraCsvQuotingAndSkipsUnlabeledRows) {
  TaskSpec task =
      parse_task("tsv:text_a=sentence1,text_b=sentence2,label=is_duplicate", Quoting::kCsv);
  ReadOptions options;
  options.discover_labels = true;
  const Dataset data = read_dataset(shared("data/pairs/quora-sample/quora-dev.csv"), task, options);
  EXPECT_EQ(task.labels, (std::vector<std::string>{"0.0", "1.0"}));
  EXPECT_GT(data.skipped_unlabeled, 0u);
  EXPECT_EQ(data.examples.size() + data.skipped_unlabeled, 20214u);
  bool unescaped = false;
  for (const auto& e : data.examples) {
    if (e.text_a.find("Do I need \"\"the\"\" here?") != std::string::npos) unescaped = true;
  }
  EXPECT_TRUE(unescaped) << "CSV quoting should turn \"\"\"\" into \"\"";
}

TEST(Dataset, ReadsMnliTrainAndDevLayouts) {
  test::TempDir dir;
  const std::string train = dir.write("train.tsv",
                                      "index\tpromptID\tpairID\tgenre\tsentence1_binary_"
                                      "parse\tsentence2_binary_parse\tsentence1_parse\t"
                                      "sentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label\n"
                                      "0\t31193\t31193n\tgovernment\t( x )\t( y )\t(ROOT x)\t(ROOT "
                                      "y)\tConceptually cream skimming.\t"
                                      "Product and geography.\tneutral\tneutral\n"
                                      "1\t101457\t101457e\ttelephone\t( x )\t( y )\t(ROOT "
                                      "x)\t(ROOT y)\tyou know \"during\" the season\t"
                                      "You lose the things.\tentailment\tentailment\n");
  const std::string dev = dir.write(
      "dev_matched.tsv",
      "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_"
      "parse\t"
      "sentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label\n"
      "0\t63735\t63735n\tslate\t( x )\t( y )\t(ROOT x)\t(ROOT y)\tThe new rights are nice.\t"
      "Everyone loves them.\tneutral\tentailment\tneutral\tneutral\tneutral\tneutral\n"
      "1\t91383\t91383c\tgovernment\t( x )\t( y )\t(ROOT x)\t(ROOT y)\tThis site includes a list.\t"
      "The site has no "
      "list.\tcontradiction\tcontradiction\tcontradiction\tcontradiction\tcontradiction\t"
      "contradiction\n");
  TaskSpec task = parse_task("mnli");
  const Dataset t = read_dataset(train, task);
  ASSERT_EQ(t.examples.size(), 2u);
  EXPECT_EQ(t.examples[1].text_a, "you know \"during\" the season");
  EXPECT_EQ(t.examples[1].label, 0);
  const Dataset d = read_dataset(dev, task);
  ASSERT_EQ(d.examples.size(), 2u);
  EXPECT_EQ(d.examples[1].text_b, "The site has no list.");
  EXPECT_EQ(d.examples[1].label, 2);
}

TEST(Dataset, QqpSkipsAndCountsMalformedRows) {
  test::TempDir dir;
  const std::string path =
      dir.write("train.tsv",
                "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
                "1\t1\t2\tHow do I learn C++?\tWhat is the best way to learn C++?\t1\n"
                "2\t3\t4\tWhy is the sky blue?\n"
                "3\t5\t6\tWhat is AI?\tWho won the cup?\t0\n");
  TaskSpec task = parse_task("qqp");
  const Dataset data = read_dataset(path, task);
  EXPECT_EQ(data.examples.size(), 2u);
  EXPECT_EQ(data.skipped_malformed, 1u);
  EXPECT_EQ(data.examples[1].text_b, "Who won the cup?");
}

TEST(Dataset, ReadsTransferSetsWithLogitsAndEmptyLabels) {
  test::TempDir dir;
  const std::string path = dir.write("transfer.tsv",
                                     "sentence\tlabel\tlogit_0\tlogit_1\n"
                                     "a fine film\t1\t-1.25\t2.5\n"
                                     "a [MASK] film\t\t0.125\t-3e-2\n");
  TaskSpec task = parse_task("sst2");
  const Dataset data = read_dataset(path, task);
  ASSERT_TRUE(data.has_logits);
  ASSERT_EQ(data.examples.size(), 2u);
  EXPECT_EQ(data.examples[1].label, -1);
  EXPECT_EQ(data.examples[1].logits, (std::vector<float>{0.125f, -0.03f}));
}

// distill --transfer-size: the originals (the first rows) always, then a seeded sample of the
// augmented rows in file order; the originals alone at their own number; an error, with the
// file untouched, below it.
TEST(Dataset, TransferSetSampleKeepsTheOriginalsAndRefusesFewerRows) {
  test::TempDir dir;
  std::string text = "sentence\tlabel\n";
  for (int i = 0; i < 3; ++i) text += "original " + std::to_string(i) + "\t1\n";
  for (int i = 0; i < 10; ++i) text += "augmented " + std::to_string(i) + "\t\n";
  auto rows = [](const std::string& path) {
    std::vector<std::string> lines;
    std::istringstream in(read_file(path));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };

  const std::string sample = dir.write("sample.tsv", text);
  subsample_transfer_set(sample, 3, 7, 1);
  const auto kept = rows(sample);
  ASSERT_EQ(kept.size(), 1u + 7u);
  EXPECT_EQ(kept[0], "sentence\tlabel");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(kept[1 + i], "original " + std::to_string(i) + "\t1");
  std::vector<int> picked;
  for (size_t i = 4; i < kept.size(); ++i) {
    ASSERT_EQ(kept[i].rfind("augmented ", 0), 0u) << kept[i];
    picked.push_back(std::stoi(kept[i].substr(10)));
  }
  EXPECT_TRUE(std::is_sorted(picked.begin(), picked.end()));
  EXPECT_EQ(std::set<int>(picked.begin(), picked.end()).size(), 4u);

  const std::string originals = dir.write("originals.tsv", text);
  subsample_transfer_set(originals, 3, 3, 1);
  EXPECT_EQ(rows(originals).size(), 1u + 3u);

  const std::string all = dir.write("all.tsv", text);
  subsample_transfer_set(all, 3, 13, 1);
  EXPECT_EQ(read_file(all), text);

  const std::string fewer = dir.write("fewer.tsv", text);
  EXPECT_EQ(test::error_of([&] { subsample_transfer_set(fewer, 3, 2, 1); }),
            fewer +
                ": a transfer set of 2 rows cannot hold its 3 original rows, which are always "
                "kept (ask for at least that many, or 0 for every row)");
  EXPECT_EQ(read_file(fewer), text);
}

TEST(Dataset, BadInputGivesOneClearErrorNamingTheFile) {
  test::TempDir dir;
  TaskSpec task = parse_task("sst2");
  auto read = [&](const std::string& path) {
    return test::error_of([&] { read_dataset(path, task); });
  };
  EXPECT_EQ(read(dir.path("missing.tsv")), dir.path("missing.tsv") + ": no such file");
  EXPECT_EQ(read(dir.write("empty.tsv", "")),
            dir.path("empty.tsv") + ": empty file (expected a header line)");
  EXPECT_NE(
      read(dir.write("header.tsv", "text\tlabel\nok\t1\n")).find("header has no column 'sentence'"),
      std::string::npos);
  EXPECT_EQ(read(dir.write("columns.tsv", "sentence\tlabel\nfine\t1\nno label here\n")),
            dir.path("columns.tsv") + ":3: expected 2 tab-separated fields, found 1");
  EXPECT_EQ(read(dir.write("utf8.tsv", "sentence\tlabel\nbad \xff\xfe bytes\t1\n")),
            dir.path("utf8.tsv") + ":2: invalid UTF-8");
  EXPECT_EQ(read(dir.write("label.tsv", "sentence\tlabel\nfine\t1\nodd\tpositive\n")),
            dir.path("label.tsv") + ":3: unknown label 'positive' (expected one of: 0, 1)");
  EXPECT_EQ(read(dir.write("rows.tsv", "sentence\tlabel\n")),
            dir.path("rows.tsv") + ": no examples after the header");
  EXPECT_NE(read(dir.write("logits.tsv", "sentence\tlabel\tlogit_0\tlogit_1\nx\t1\t0.5\tabc\n"))
                .find("is not a number"),
            std::string::npos);
  EXPECT_EQ(read(dir.write("nan.tsv", "sentence\tlabel\tlogit_0\tlogit_1\nx\t1\t0.5\tnan\n")),
            dir.path("nan.tsv") + ":2: logit 'nan' is not finite");
  EXPECT_EQ(read(dir.write("inf.tsv", "sentence\tlabel\tlogit_0\tlogit_1\nx\t1\t-inf\t2\n")),
            dir.path("inf.tsv") + ":2: logit '-inf' is not finite");
}

}  // namespace
}  // namespace b2b
