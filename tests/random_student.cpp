#include "random_student.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "io/safetensors_bytes.h"
#include "text/vocabulary.h"
#include "util/atomic_file.h"

namespace b2b::test {

void write_random_student(const std::string& dir, bool pair, EmbeddingMode mode, uint32_t seed) {
  StudentConfig c;
  c.task = parse_task(pair ? "mnli" : "sst2");
  c.embedding_mode = mode;
  c.embedding_dim = 12;
  c.hidden_size = 8;
  c.fc_size = 6;
  Vocabulary vocab = Vocabulary::build({{"good", 5}, {"bad", 4}, {"film", 3}, {"a", 2}});
  c.vocab_size = static_cast<int64_t>(vocab.size());
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/config.json", student_config_to_json(c).dump(2));
  vocab.save(dir + "/vocab.txt");

  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-0.5f, 0.5f);
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  const int64_t V = c.vocab_size, E = c.embedding_dim, H = c.hidden_size;
  if (mode != EmbeddingMode::kStatic) shapes.push_back({"embedding.weight", {V, E}});
  if (mode == EmbeddingMode::kStatic || mode == EmbeddingMode::kMultichannel)
    shapes.push_back({"embedding_static.weight", {V, E}});
  for (const std::string s : {"_l0", "_l0_reverse"}) {
    shapes.push_back({"lstm.weight_ih" + s, {4 * H, c.lstm_input_size()}});
    shapes.push_back({"lstm.weight_hh" + s, {4 * H, H}});
    shapes.push_back({"lstm.bias_ih" + s, {4 * H}});
    shapes.push_back({"lstm.bias_hh" + s, {4 * H}});
  }
  shapes.push_back({"hidden.weight", {c.fc_size, (pair ? 8 : 2) * H}});
  shapes.push_back({"hidden.bias", {c.fc_size}});
  shapes.push_back({"output.weight", {c.num_labels(), c.fc_size}});
  shapes.push_back({"output.bias", {c.num_labels()}});
  std::vector<std::vector<float>> values;
  std::vector<TensorBytes> tensors;
  for (const auto& [name, shape] : shapes) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    values.emplace_back(n);
    for (float& v : values.back()) v = value(rng);
  }
  for (size_t i = 0; i < shapes.size(); ++i) {
    tensors.push_back({shapes[i].first, "F32", shapes[i].second,
                       std::string_view(reinterpret_cast<const char*>(values[i].data()),
                                        values[i].size() * sizeof(float))});
  }
  write_safetensors(dir + "/model.safetensors", tensors);
}

}  // namespace b2b::test
