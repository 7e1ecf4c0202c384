// Task files and transfer sets: the GLUE layouts (SST-2, MNLI, QQP) and generic columns in
// both quoting modes and the three formats (TSV, CSV, JSON Lines), with and without label
// discovery. Bad files raise b2b::Error.
#include "data/dataset.h"
#include "fuzz_util.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes = b2b::fuzz::as_view(data, size);
  const uint8_t selector = b2b::fuzz::take_selector(bytes);
  static const char* const kTasks[] = {"sst2", "mnli", "qqp", "tsv:text_a=a,label=l",
                                       "tsv:text_a=a,text_b=b,label=l,labels=x|y"};
  const std::string path = b2b::fuzz::input_file(bytes);
  try {
    b2b::TaskSpec task = b2b::parse_task(kTasks[selector % 5],
                                         (selector & 8) ? b2b::Quoting::kCsv : b2b::Quoting::kNone);
    b2b::ReadOptions options;
    options.labels_required = !(selector & 16);
    options.discover_labels = selector & 32;
    if (selector & 64) options.format = b2b::FileFormat::kCsv;
    if (selector & 128) options.format = b2b::FileFormat::kJsonl;
    const b2b::Dataset dataset = b2b::read_dataset(path, task, options);
    for (const auto& e : dataset.examples) {
      if (e.label >= task.num_labels()) __builtin_trap();  // a label id outside the task
    }
  } catch (const b2b::Error&) {
  }
  return 0;
}
