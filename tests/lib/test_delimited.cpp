#include <gtest/gtest.h>

#include "io/delimited.h"

namespace b2b {
namespace {

TEST(SplitRecord, PlainTsvKeepsQuotesAsText) {
  std::vector<std::string> fields;
  ASSERT_TRUE(split_record("a \"quoted\" word\t1\t", Quoting::kNone, fields));
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0], "a \"quoted\" word");
  EXPECT_EQ(fields[1], "1");
  EXPECT_EQ(fields[2], "");
}

TEST(SplitRecord, CsvQuotingUnescapesDoubledQuotesAndTabs) {
  std::vector<std::string> fields;
  ASSERT_TRUE(split_record("1\t\"\"\"Hi\"\" there\tyou\"\"\"\tplain\t0.0", Quoting::kCsv, fields));
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[1], "\"Hi\" there\tyou\"");
  EXPECT_EQ(fields[2], "plain");
  EXPECT_EQ(fields[3], "0.0");
  EXPECT_FALSE(split_record("\"never closed\tx", Quoting::kCsv, fields));
}

}  // namespace
}  // namespace b2b
