// io/records.h: CSV as RFC 4180 writes it, JSON Lines, and TSV as before.
#include <gtest/gtest.h>

#include <sstream>

#include "bert2bilstm/error.h"
#include "io/records.h"

namespace b2b {
namespace {

using Rows = std::vector<std::vector<std::string>>;

Rows read_all(const std::string& text, FileFormat format, std::vector<std::string>* header,
              Quoting quoting = Quoting::kNone, std::vector<size_t>* lines = nullptr) {
  std::istringstream in(text);
  RecordReader reader(in, "f", format, quoting);
  Rows rows;
  if (!reader.header(*header)) return rows;
  std::vector<std::string> fields;
  bool complete = false;
  while (reader.next(fields, complete)) {
    EXPECT_TRUE(complete);
    rows.push_back(fields);
    if (lines) lines->push_back(reader.line());
  }
  return rows;
}

TEST(Records, CsvAsRfc4180WritesIt) {
  std::vector<std::string> header;
  std::vector<size_t> lines;
  const Rows rows = read_all(
      "\xEF\xBB\xBFtext,label\r\n"
      "plain,1\r\n"
      "\"a, comma\",0\r\n"
      "\"a \"\"quote\"\"\",1\r\n"
      "\r\n"
      "\"two\r\nlines\",0\r\n"
      "\"\",1\r\n"
      "last,0",
      FileFormat::kCsv, &header, Quoting::kNone, &lines);
  EXPECT_EQ(header, (std::vector<std::string>{"text", "label"}));
  EXPECT_EQ(rows, (Rows{{"plain", "1"},
                        {"a, comma", "0"},
                        {"a \"quote\"", "1"},
                        {"two\nlines", "0"},
                        {"", "1"},
                        {"last", "0"}}));
  EXPECT_EQ(lines, (std::vector<size_t>{2, 3, 4, 6, 8, 9}));
}

TEST(Records, CsvErrorsNameTheLine) {
  std::vector<std::string> header;
  try {
    read_all("text,label\nok,1\n\"open,1\nmore,0\n", FileFormat::kCsv, &header);
    FAIL() << "read an unterminated quote";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "f:3: unterminated quoted field at the end of the file");
  }
  // A quote left open on a long file stops at 1 MiB instead of reading it all.
  std::string big = "text,label\n\"open,1\n";
  for (int i = 0; i < 200000; ++i) big += "some text without quotes\n";
  EXPECT_THROW(read_all(big, FileFormat::kCsv, &header), Error);
}

TEST(Records, JsonLinesByKey) {
  std::vector<std::string> header;
  const Rows rows = read_all(
      "{\"sentence\": \"good\", \"label\": 1, \"id\": 7}\n"
      "\n"
      "{\"label\": 0.5, \"sentence\": \"caf\\u00e9\"}\n"
      "{\"sentence\": \"none\", \"label\": null, \"other\": [1]}\n"
      "{\"sentence\": \"flag\", \"label\": true}\n",
      FileFormat::kJsonl, &header);
  EXPECT_EQ(header, (std::vector<std::string>{"id", "label", "sentence"}));
  EXPECT_EQ(
      rows,
      (Rows{
          {"7", "1", "good"}, {"", "0.5", "caf\xC3\xA9"}, {"", "", "none"}, {"", "true", "flag"}}));
  EXPECT_THROW(read_all("{\"a\": 1}\n{\"a\": {\"b\": 1}}\n", FileFormat::kJsonl, &header), Error);
  EXPECT_THROW(read_all("[1]\n", FileFormat::kJsonl, &header), Error);
  EXPECT_THROW(read_all("{\"a\": \"\xff\"}\n", FileFormat::kJsonl, &header), Error);
}

TEST(Records, TsvAsBeforeAndTheFormatsByName) {
  std::vector<std::string> header;
  const Rows rows = read_all("a\tb\n\"x\"\ty\n\nz\t\n", FileFormat::kTsv, &header);
  EXPECT_EQ(rows, (Rows{{"\"x\"", "y"}, {"z", ""}}));  // quotes are text without --quoting
  EXPECT_EQ(parse_file_format("jsonl"), FileFormat::kJsonl);
  EXPECT_STREQ(file_format_name(FileFormat::kCsv), "csv");
  EXPECT_THROW(parse_file_format("xlsx"), Error);
  std::istringstream empty("");
  RecordReader reader(empty, "f", FileFormat::kCsv, Quoting::kNone);
  EXPECT_FALSE(reader.header(header));
}

}  // namespace
}  // namespace b2b

namespace b2b {
namespace {

// raw(): the text split writes back unchanged, one record a call.
TEST(Records, RawIsTheRecordAsWritten) {
  std::istringstream csv("\xEF\xBB\xBFtext,label\r\n\"two\r\nlines, \"\"q\"\"\",0\r\nplain,1\r\n");
  RecordReader reader(csv, "f", FileFormat::kCsv, Quoting::kNone);
  std::vector<std::string> fields;
  bool complete = false;
  ASSERT_TRUE(reader.header(fields));
  EXPECT_EQ(reader.raw(), "text,label");
  ASSERT_TRUE(reader.next(fields, complete));
  EXPECT_EQ(reader.raw(), "\"two\nlines, \"\"q\"\"\",0");
  ASSERT_TRUE(reader.next(fields, complete));
  EXPECT_EQ(reader.raw(), "plain,1");

  std::istringstream jsonl("{\"text\": \"a\", \"label\": 1}\n\n{\"label\": 0}\n");
  RecordReader json(jsonl, "f", FileFormat::kJsonl, Quoting::kNone);
  ASSERT_TRUE(json.header(fields));
  EXPECT_EQ(json.raw(), "");  // no header line: the first object is a record
  ASSERT_TRUE(json.next(fields, complete));
  EXPECT_EQ(json.raw(), "{\"text\": \"a\", \"label\": 1}");
  ASSERT_TRUE(json.next(fields, complete));
  EXPECT_EQ(json.raw(), "{\"label\": 0}");
}

}  // namespace
}  // namespace b2b
