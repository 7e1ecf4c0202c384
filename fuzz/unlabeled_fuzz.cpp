// Unlabeled text files (`distill --unlabeled`): plain and delimited, single and pair tasks, in
// both quoting modes, collected whole or sampled. Bad files raise b2b::Error and leave no
// output; a collection never writes more rows than it kept, nor one twice.
#include <filesystem>
#include <set>

#include "data/dataset.h"
#include "data/unlabeled.h"
#include "fuzz_util.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes = b2b::fuzz::as_view(data, size);
  const uint8_t selector = b2b::fuzz::take_selector(bytes);
  static const char* const kTasks[] = {"sst2", "tsv:text_a=a", "tsv:text_a=a,text_b=b"};
  const std::string path = b2b::fuzz::input_file(bytes);
  const std::string output = b2b::fuzz::input_file("", "output");
  std::filesystem::remove(output);
  try {
    const b2b::TaskSpec task = b2b::parse_task(
        kTasks[selector % 3], (selector & 8) ? b2b::Quoting::kCsv : b2b::Quoting::kNone);
    const b2b::UnlabeledCollector collector(task, {});
    const b2b::UnlabeledSummary summary =
        collector.write({path}, output, {static_cast<size_t>((selector >> 4) & 3), selector});
    if (summary.written > summary.distinct) __builtin_trap();
    b2b::TaskSpec own = task;
    b2b::ReadOptions options;
    options.labels_required = false;
    const auto rows = b2b::read_dataset(output, own, options).examples;
    if (rows.size() != summary.written) __builtin_trap();  // what it wrote reads back
    const b2b::TextKeyer keyer;
    std::set<std::pair<uint64_t, uint64_t>> keys;
    for (const auto& e : rows) {
      const auto key = keyer.key(e.text_a, e.text_b);
      if (!keys.insert({key.high, key.low}).second) __builtin_trap();  // a repeat written
    }
  } catch (const b2b::Error&) {
    if (std::filesystem::exists(output)) __builtin_trap();  // a failed collection wrote
  }
  return 0;
}
