// Delimited records in both quoting modes and the --task spec parser. A record that splits
// must join back to a line that splits into the same fields.
#include <cstdlib>
#include <string>
#include <vector>

#include "data/task.h"
#include "fuzz_util.h"
#include "io/delimited.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = b2b::fuzz::as_view(data, size);
  for (const auto quoting : {b2b::Quoting::kNone, b2b::Quoting::kCsv}) {
    std::vector<std::string> fields, again;
    try {
      if (b2b::split_record(bytes, quoting, fields)) {
        const std::string line = b2b::join_record(fields, quoting);
        // Line breaks inside fields become spaces: the round trip holds for the others.
        if (bytes.find_first_of("\r\n") == std::string_view::npos &&
            (!b2b::split_record(line, quoting, again) || again != fields))
          std::abort();  // join and split disagree
      }
    } catch (const b2b::Error&) {
    }
    try {
      const b2b::TaskSpec task = b2b::parse_task(std::string(bytes), quoting);
      b2b::parse_task(task.describe(), quoting);  // what it describes parses again
    } catch (const b2b::Error&) {
    }
  }
  return 0;
}
