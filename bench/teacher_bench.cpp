// Times teacher labeling (WordPiece + BERT forward, batches sorted by length) the way
// bench/teacher_reference.py times the same BERT in PyTorch eager, on the exact same batches:
// writes the padded batches' ids (and token types for pairs), then labels. Prints one JSON
// object.
//   teacher_bench MODEL_DIR INPUT WORK_DIR THREADS [--rows N] [--batch N] [--precision P]
//                 [--task TASK] [--max-length N] [--plain 1]
//     INPUT: a task file (--task, default sst2), or with --plain 1 one sentence a line
//   teacher_bench --make-random-base OUT_DIR VOCAB   (a BERT-base-shaped random checkpoint)
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "data/dataset.h"
#include "io/safetensors.h"
#include "teacher/inference.h"
#include "util/atomic_file.h"
#include "util/malloc_tuning.h"

namespace {

int make_random_base(const std::string& out, const std::string& vocab) {
  b2b::BertConfig config;  // defaults: bert-base (12 layers, 768 hidden, 12 heads, 3072 FFN)
  config.num_labels = 2;
  config.id2label = {"0", "1"};
  torch::manual_seed(1);
  b2b::BertClassifier model(config);
  std::filesystem::create_directories(out);
  b2b::NamedTensors tensors;
  for (const auto& item : model->named_parameters()) {
    torch::Tensor t = item.value().detach();
    if (item.key().find("LayerNorm") == std::string::npos) t = torch::randn_like(t) * 0.05;
    tensors.emplace_back(item.key(), t);
  }
  b2b::save_safetensors(out + "/model.safetensors", tensors, {{"format", "pt"}});
  b2b::write_file_atomic(out + "/config.json", b2b::bert_config_to_json(config).dump(2));
  std::filesystem::copy_file(vocab, out + "/vocab.txt",
                             std::filesystem::copy_options::overwrite_existing);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  b2b::reexec_with_malloc_tuning(argv);  // as bert2bilstm runs (malloc_tuning.h)
  if (argc == 4 && std::string(argv[1]) == "--make-random-base")
    return make_random_base(argv[2], argv[3]);
  if (argc < 5) {
    std::cerr << "usage: teacher_bench MODEL_DIR INPUT WORK_DIR THREADS [--rows N] [--batch N] "
                 "[--precision fp32|bf16|int8] [--task TASK] [--max-length N] [--plain 1]\n";
    return 2;
  }
  const std::string work = argv[3], input = argv[2];
  torch::set_num_threads(std::atoi(argv[4]));
  size_t rows = SIZE_MAX, max_length = 128;
  std::string task_name = "sst2";
  bool plain = false;
  b2b::TeacherRunOptions options;
  for (int i = 5; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--rows")
      rows = std::stoul(value);
    else if (flag == "--batch")
      options.batch = std::stoul(value);
    else if (flag == "--precision")
      options.precision = b2b::parse_precision(value);
    else if (flag == "--task")
      task_name = value;
    else if (flag == "--max-length")
      max_length = std::stoul(value);
    else if (flag == "--plain")
      plain = value == "1";
    else {
      std::cerr << "teacher_bench: unknown flag " << flag << "\n";
      return 2;
    }
  }
  options.max_length = max_length;
  b2b::TaskSpec task = b2b::parse_task(task_name);
  b2b::Dataset data;
  if (plain) {
    std::ifstream in(input);
    std::string line;
    while (data.examples.size() < rows && std::getline(in, line)) {
      b2b::Example e;
      e.text_a = line;
      data.examples.push_back(e);
    }
  } else {
    b2b::ReadOptions read_options;
    read_options.discover_labels = true;
    data = b2b::read_dataset(input, task, read_options);
  }
  data.examples.resize(std::min(data.examples.size(), rows));
  const bool pair = task.is_pair();
  b2b::Teacher teacher = b2b::load_teacher(argv[1]);
  const b2b::Precision precision = b2b::prepare_teacher(teacher, options);

  // The reference gets the same padded batches, longest first, as teacher_logits builds them.
  std::vector<b2b::Encoding> encodings;
  for (const auto& e : data.examples)
    encodings.push_back(
        pair ? teacher.tokenizer.encode(e.text_a, std::string_view(e.text_b), max_length)
             : teacher.tokenizer.encode(e.text_a, std::nullopt, max_length));
  std::vector<size_t> order(encodings.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return encodings[a].ids.size() > encodings[b].ids.size();
  });
  std::ofstream ids(work + "/teacher_ids.txt"), types;
  if (pair)
    types.open(work + "/teacher_types.txt");
  else
    std::filesystem::remove(work + "/teacher_types.txt");
  for (size_t i = 0; i < order.size(); ++i) {
    const char* separator = i == 0 ? "" : i % options.batch == 0 ? "\n" : ";";
    ids << separator;
    if (pair) types << separator;
    const auto& e = encodings[order[i]];
    for (size_t j = 0; j < e.ids.size(); ++j) {
      ids << (j ? " " : "") << e.ids[j];
      if (pair) types << (j ? " " : "") << e.type_ids[j];
    }
  }
  ids << "\n";
  if (pair) types << "\n";
  ids.close();
  types.close();
  size_t tokens = 0;
  for (const auto& e : encodings) tokens += e.ids.size();

  const auto start = std::chrono::steady_clock::now();
  const torch::Tensor logits =
      b2b::teacher_logits(teacher, data.examples, 0, data.examples.size(), pair, options, nullptr);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const torch::Tensor sorted_logits = logits.index_select(
      0, torch::tensor(std::vector<int64_t>(order.begin(), order.end()), torch::kInt64));
  std::ofstream(work + "/teacher_logits_cpp.bin", std::ios::binary)
      .write(static_cast<const char*>(sorted_logits.contiguous().data_ptr()),
             sorted_logits.numel() * 4);
  std::cout << nlohmann::json{{"implementation", std::string("bert2bilstm (oneDNN, ") +
                                                     b2b::precision_name(precision) + ")"},
                              {"precision", b2b::precision_name(precision)},
                              {"mean_wordpiece_ids",
                               double(tokens) / std::max<size_t>(1, encodings.size())},
                              {"threads", torch::get_num_threads()},
                              {"sentences", data.examples.size()},
                              {"batch", options.batch},
                              {"seconds", seconds},
                              {"sentences_per_second", data.examples.size() / seconds},
                              {"glibc_tunables",
                               std::getenv("GLIBC_TUNABLES") ? std::getenv("GLIBC_TUNABLES") : ""}}
                   .dump()
            << std::endl;
  return 0;
}
