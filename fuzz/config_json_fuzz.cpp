// config.json of a student directory and of a BERT directory (with tokenizer_config.json).
#include <filesystem>
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "student/config.h"
#include "teacher/bert_config.h"
#include "util/atomic_file.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes = b2b::fuzz::as_view(data, size);
  const uint8_t selector = b2b::fuzz::take_selector(bytes);
  if (selector & 1) {
    const nlohmann::json json = nlohmann::json::parse(bytes, nullptr, false);
    if (json.is_discarded()) return 0;  // not JSON: the directory reader says so before this
    try {
      b2b::student_config_from_json(json, "config.json");
    } catch (const b2b::Error&) {
    }
    return 0;
  }
  static const std::string dir = [] {
    const std::string d = b2b::fuzz::input_file("", "bert-dir");
    std::filesystem::remove(d);
    std::filesystem::create_directories(d);
    return d;
  }();
  std::FILE* f = std::fopen((dir + "/config.json").c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  // Half the inputs also get a tokenizer_config.json (its own bytes: the input's tail).
  std::filesystem::remove(dir + "/tokenizer_config.json");
  if (selector & 2) {
    f = std::fopen((dir + "/tokenizer_config.json").c_str(), "wb");
    std::fwrite(bytes.data() + bytes.size() / 2, 1, bytes.size() - bytes.size() / 2, f);
    std::fclose(f);
  }
  try {
    const b2b::BertConfig config = b2b::read_bert_config(dir);
    if (config.num_attention_heads <= 0 || config.hidden_size % config.num_attention_heads != 0)
      __builtin_trap();  // the reader must refuse heads that do not divide the hidden size
  } catch (const b2b::Error&) {
  }
  return 0;
}
