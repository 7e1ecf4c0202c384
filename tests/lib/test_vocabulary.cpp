#include <gtest/gtest.h>

#include "test_util.h"
#include "text/vocabulary.h"
#include "util/error.h"

namespace b2b {
namespace {

TEST(Vocabulary, ReservesPadUnkMaskAndOrdersByCount) {
  const Vocabulary vocab = Vocabulary::build({{"the", 10}, {"film", 3}, {"a", 3}, {"rare", 1}}, 2);
  ASSERT_EQ(vocab.size(), 6u);
  EXPECT_EQ(vocab.word(Vocabulary::kPad), "[PAD]");
  EXPECT_EQ(vocab.word(Vocabulary::kUnk), "[UNK]");
  EXPECT_EQ(vocab.word(Vocabulary::kMask), "[MASK]");
  EXPECT_EQ(vocab.word(3), "the");
  EXPECT_EQ(vocab.word(4), "a");  // ties alphabetical
  EXPECT_EQ(vocab.word(5), "film");
  EXPECT_EQ(vocab.count(3), 10);
  EXPECT_EQ(vocab.id("rare"), Vocabulary::kUnk);  // under min-count
  EXPECT_EQ(vocab.id("[MASK]"), Vocabulary::kMask);
}

TEST(Vocabulary, MaskCountedInDataKeepsItsReservedId) {
  const Vocabulary vocab = Vocabulary::build({{"[MASK]", 7}, {"x", 1}});
  EXPECT_EQ(vocab.id("[MASK]"), Vocabulary::kMask);
  EXPECT_EQ(vocab.count(Vocabulary::kMask), 7);
  EXPECT_EQ(vocab.size(), 4u);
}

TEST(Vocabulary, SavesAndLoadsWithCounts) {
  test::TempDir dir;
  const Vocabulary vocab = Vocabulary::build({{"good", 5}, {"bad", 4}, {"café", 2}});
  vocab.save(dir.path("vocab.txt"));
  const Vocabulary loaded = Vocabulary::load(dir.path("vocab.txt"));
  ASSERT_EQ(loaded.size(), vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) {
    EXPECT_EQ(loaded.word(i), vocab.word(i));
    EXPECT_EQ(loaded.count(i), vocab.count(i));
  }
}

TEST(Vocabulary, RejectsMalformedFiles) {
  test::TempDir dir;
  EXPECT_THROW(Vocabulary::load(dir.write("a.txt", "[PAD]\t0\n[UNK]\t0\n")), Error);
  EXPECT_THROW(Vocabulary::load(dir.write("b.txt", "[PAD]\t0\n[UNK]\t0\n[MASK]\tx\n")), Error);
  EXPECT_THROW(Vocabulary::load(dir.write("c.txt", "[PAD]\t0\n[UNK]\t0\n[MASK]\t0\nw\t1\nw\t2\n")),
               Error);
  EXPECT_THROW(Vocabulary::load(dir.path("missing.txt")), Error);
}

}  // namespace
}  // namespace b2b
