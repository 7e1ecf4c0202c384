#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/task.h"
#include "test_util.h"
#include "util/error.h"

namespace b2b {
namespace {

TEST(Task, GlueTasksHaveFixedColumnsAndLabels) {
  const TaskSpec sst2 = parse_task("sst2");
  EXPECT_EQ(sst2.text_a, "sentence");
  EXPECT_FALSE(sst2.is_pair());
  EXPECT_EQ(sst2.labels, (std::vector<std::string>{"0", "1"}));
  const TaskSpec mnli = parse_task("mnli");
  EXPECT_TRUE(mnli.is_pair());
  EXPECT_EQ(mnli.label_column, "gold_label");
  EXPECT_EQ(mnli.label_id("contradiction"), 2);
  EXPECT_TRUE(parse_task("qqp").skip_malformed_rows);
}

TEST(Task, GenericSpecParsesAndRoundTrips) {
  const TaskSpec task =
      parse_task("tsv:text_a=sentence_A,text_b=sentence_B,label=entailment_judgment,labels=A|B|C",
                 Quoting::kCsv);
  EXPECT_EQ(task.text_b, "sentence_B");
  EXPECT_EQ(task.labels, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(task.quoting, Quoting::kCsv);
  const TaskSpec back = task_from_json(task_to_json(task));
  EXPECT_EQ(back.describe(), task.describe());
  EXPECT_EQ(back.quoting, Quoting::kCsv);
}

// issue 32: files without labels (unlabeled text, `teacher label`) need no label column.
TEST(Task, ATaskWithoutALabelColumnReadsTextsAndRefusesToTrain) {
  const TaskSpec task = parse_task("tsv:text_a=q1,text_b=q2");
  EXPECT_TRUE(task.is_pair());
  EXPECT_TRUE(task.label_column.empty());
  EXPECT_EQ(task.describe(), "tsv:text_a=q1,text_b=q2");
  EXPECT_EQ(parse_task(task.describe()).describe(), task.describe());
  test::TempDir dir;
  const std::string file = dir.write("p.tsv", "q1\tq2\nwho?\twhat?\n");
  TaskSpec own = task;
  ReadOptions options;
  options.labels_required = false;
  EXPECT_EQ(read_dataset(file, own, options).examples.at(0).text_b, "what?");
  const std::string message = test::error_of([&] { read_dataset(file, own); });
  EXPECT_NE(message.find("p.tsv: task tsv:text_a=q1,text_b=q2 names no label column"),
            std::string::npos)
      << message;
}

TEST(Task, RejectsBadSpecs) {
  EXPECT_THROW(parse_task("sst3"), Error);
  EXPECT_THROW(parse_task("tsv:label=y"), Error);  // no text column
  EXPECT_THROW(parse_task("tsv:text_a=x,label=y,colour=z"), Error);
  EXPECT_THROW(parse_quoting("double"), Error);
}

}  // namespace
}  // namespace b2b
