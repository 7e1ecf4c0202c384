// Deploying a trained student: `predict` (the BLAS runtime) against the libtorch model on all
// of SST-2 dev, and the installed library used from a scratch CMake project and from C.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_fixture.h"
#include "data/dataset.h"
#include "student/batching.h"
#include "student/checkpoint.h"
#include "student/inference.h"

namespace b2b {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The SST-2 dev sentences, one per line.
std::string dev_sentences() {
  TaskSpec task = parse_task("sst2");
  std::string text;
  for (const auto& e : read_dataset(shared("data/glue/SST-2/dev.tsv"), task).examples)
    text += e.text_a + "\n";
  return text;
}

TEST_F(CliTest, PredictOnTheRuntimeEqualsTheLibtorchModelOnAllOfDev) {
  const std::string sentences = dev_sentences();
  const auto result = run_cli("predict --json --model " + model(), sentences);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rows = lines_of(result.out);
  ASSERT_EQ(rows.size(), 872u);

  Student student = load_student(model());  // the libtorch model, from the same files
  TaskSpec task = parse_task("sst2");
  const Dataset dev = read_dataset(shared("data/glue/SST-2/dev.tsv"), task);
  const auto examples = encode_examples(dev, BasicTokenizer(), student.vocab, false);
  const torch::Tensor expected = predict_logits(student.model, examples, 64);
  float worst = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto row = nlohmann::json::parse(rows[i]);
    for (int c = 0; c < 2; ++c) {
      worst =
          std::max(worst, std::abs(row["logits"][c].get<float>() - expected[i][c].item<float>()));
    }
    EXPECT_EQ(row["label"].get<std::string>(), std::to_string(expected[i].argmax().item<int64_t>()))
        << "row " << i;
  }
  EXPECT_LE(worst, 1e-5);
}

TEST_F(CliTest, PredictSkipsAByteOrderMarkOnTheFirstLine) {
  const std::string lines = "a gripping , funny film\nthe worst of the year\n";
  const auto plain = run_cli("predict --json --model " + model(), lines);
  const auto marked = run_cli("predict --json --model " + model(), "\xEF\xBB\xBF" + lines);
  ASSERT_EQ(marked.exit_code, 0) << marked.err;
  EXPECT_EQ(marked.out, plain.out);
}

// A line without words still gets its row (a batch job goes on), and stderr says so.
TEST_F(CliTest, PredictSaysWhatItDoesWithALineWithoutWords) {
  const auto result = run_cli("predict --model " + model(), "a fine film\n   \nawful\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(count_lines(result.out), 4u);  // the header and three rows
  EXPECT_EQ(result.err,
            "warning: <stdin>:2: no words in the text (a student reads it as one unknown word)\n");
}

// Installs the library into a temporary prefix, builds the examples against it as a user
// would (CMake's find_package, and plain cc with pkg-config), and checks that both label SST-2
// dev as `predict` does.
TEST_F(CliTest, TheInstalledLibraryClassifiesLikePredictFromCppAndC) {
#ifdef B2B_SANITIZED
  GTEST_SKIP() << "a sanitized library needs sanitized programs; the plain build checks this";
#endif
  test::TempDir dir;
  const std::string prefix = dir.path("prefix"), build = dir.path("build");
  auto sh = [&](const std::string& command) {
    const int status = std::system(("(" + command + ") > " + dir.path("log") + " 2>&1").c_str());
    EXPECT_EQ(status, 0) << command << "\n" << read_file(dir.path("log"));
    return status == 0;
  };
  ASSERT_TRUE(sh("cmake --install " + std::string(B2B_BUILD_DIR) + " --prefix " + prefix));
  for (const char* file :
       {"include/bert2bilstm/classifier.h", "include/bert2bilstm/c_api.h",
        "lib/cmake/bert2bilstm/bert2bilstmConfig.cmake", "lib/pkgconfig/bert2bilstm.pc",
        "lib/libbert2bilstm.a", "bin/bert2bilstm"}) {
    EXPECT_TRUE(std::filesystem::exists(prefix + "/" + file)) << file;
  }
  // examples/CMakeLists.txt on its own, as README tells a user to build it.
  ASSERT_TRUE(sh("cmake -S " + std::string(B2B_SOURCE_DIR) + "/examples -B " + build +
                 " -DCMAKE_PREFIX_PATH=" + prefix + " && cmake --build " + build));
  ASSERT_TRUE(sh("export PKG_CONFIG_PATH=" + prefix + "/lib/pkgconfig; cc -o " +
                 dir.path("classify_c") + " " + std::string(B2B_SOURCE_DIR) +
                 "/examples/classify.c $(pkg-config --cflags --libs bert2bilstm)"));

  const std::string input = dir.write("dev.txt", dev_sentences());
  const auto expected = run_cli("predict --model " + model(), read_file(input));
  ASSERT_EQ(expected.exit_code, 0) << expected.err;
  auto expected_rows = lines_of(expected.out);
  expected_rows.erase(expected_rows.begin());  // the header
  // Static C linking through pkg-config: the library and what it needs, the C++ runtime too.
  ASSERT_TRUE(sh("export PKG_CONFIG_PATH=" + prefix + "/lib/pkgconfig; cc -o " +
                 dir.path("classify_static") + " " + std::string(B2B_SOURCE_DIR) +
                 "/examples/classify.c $(pkg-config --cflags bert2bilstm) " + prefix +
                 "/lib/libbert2bilstm.a $(pkg-config --static --libs-only-l bert2bilstm | sed "
                 "'s/-lbert2bilstm//')"));
  // No LD_LIBRARY_PATH: the CMake build's and pkg-config's RUNPATH find the library.
  ASSERT_TRUE(sh(prefix + "/bin/bert2bilstm --version"));
  for (const std::string& program :
       {build + "/classify", build + "/classify_c", dir.path("classify_c"),
        dir.path("classify_static")}) {
    ASSERT_TRUE(sh("env -u LD_LIBRARY_PATH " + program + " " + model() + " < " + input + " > " +
                   dir.path("out.txt")));
    const auto rows = lines_of(read_file(dir.path("out.txt")));
    ASSERT_EQ(rows.size(), expected_rows.size()) << program;
    for (size_t i = 0; i < rows.size(); ++i) {
      // label<TAB>probability of it; predict: label<TAB>probabilities...<TAB>logits...
      const std::string label = rows[i].substr(0, rows[i].find('\t'));
      ASSERT_EQ(label, expected_rows[i].substr(0, expected_rows[i].find('\t')))
          << program << " row " << i;
    }
  }
}

}  // namespace
}  // namespace b2b
