// Times teacher labeling (WordPiece + BERT forward, batches sorted by length) the way
// bench/teacher_reference.py times the same BERT in PyTorch eager, on the exact same batches:
// writes the padded batches' ids, then labels. Prints one JSON object.
//   teacher_bench MODEL_DIR TSV WORK_DIR THREADS [ROWS] [BATCH]
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
    std::cerr << "usage: teacher_bench MODEL_DIR TSV WORK_DIR THREADS [ROWS] [BATCH]\n";
    return 2;
  }
  const std::string work = argv[3];
  torch::set_num_threads(std::atoi(argv[4]));
  b2b::TaskSpec task = b2b::parse_task("sst2");
  b2b::Dataset data = b2b::read_dataset(argv[2], task);
  if (argc > 5) data.examples.resize(std::min<size_t>(data.examples.size(), std::stoul(argv[5])));
  b2b::TeacherRunOptions options;
  if (argc > 6) options.batch = std::stoul(argv[6]);
  b2b::Teacher teacher = b2b::load_teacher(argv[1]);

  // The reference gets the same padded batches, longest first, as teacher_logits builds them.
  std::vector<b2b::Encoding> encodings;
  for (const auto& e : data.examples)
    encodings.push_back(teacher.tokenizer.encode(e.text_a, std::nullopt, 128));
  std::vector<size_t> order(encodings.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return encodings[a].ids.size() > encodings[b].ids.size();
  });
  std::ofstream ids(work + "/teacher_ids.txt");
  for (size_t i = 0; i < order.size(); ++i) {
    if (i % options.batch == 0 && i) ids << "\n";
    if (i % options.batch != 0) ids << ";";
    const auto& e = encodings[order[i]].ids;
    for (size_t j = 0; j < e.size(); ++j) ids << (j ? " " : "") << e[j];
  }
  ids << "\n";
  ids.close();

  const auto start = std::chrono::steady_clock::now();
  const torch::Tensor logits =
      b2b::teacher_logits(teacher, data.examples, 0, data.examples.size(), false, options, nullptr);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const torch::Tensor sorted_logits = logits.index_select(
      0, torch::tensor(std::vector<int64_t>(order.begin(), order.end()), torch::kInt64));
  std::ofstream(work + "/teacher_logits_cpp.bin", std::ios::binary)
      .write(static_cast<const char*>(sorted_logits.contiguous().data_ptr()),
             sorted_logits.numel() * 4);
  std::cout << nlohmann::json{{"implementation", "bert2bilstm (C++ libtorch)"},
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
