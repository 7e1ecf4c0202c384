// `bert2bilstm pos`: the tagger's command line (the tagger itself: tests/lib/test_pos.cpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace b2b {
namespace {

std::string ewt(const std::string& part) {
  return test::shared("data/pos/UD_English-EWT/en_ewt-ud-" + part + ".conllu");
}

// The command line: train, tag, and an iteration count that would train nothing.
TEST(PosCommand, TrainsTagsAndRefusesZeroIterations) {
  test::TempDir dir;
  const auto trained = test::run_cli("pos train --conllu " + ewt("dev") + " --out " +
                                     dir.path("dev.pos") + " --iterations 2");
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const auto tagged =
      test::run_cli("pos tag --model " + dir.path("dev.pos"), "the film was good\n");
  ASSERT_EQ(tagged.exit_code, 0) << tagged.err;
  EXPECT_EQ(tagged.out, "the/DT film/NN was/VBD good/JJ\n");
  const auto refused = test::run_cli("pos train --conllu " + ewt("dev") + " --out " +
                                     dir.path("none.pos") + " --iterations 0");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.err, "error: --iterations: expected a positive integer, got 0 (see --help)\n");
  EXPECT_FALSE(std::filesystem::exists(dir.path("none.pos")));
}

}  // namespace
}  // namespace b2b
