#include "teacher/teacher.h"

#include <filesystem>

#include "io/safetensors.h"
#include "util/error.h"

namespace b2b {

namespace {

bool is_head(const std::string& name) {
  return name.rfind("classifier.", 0) == 0 || name.rfind("bert.pooler.", 0) == 0;
}

// MLM checkpoints may omit the "bert." prefix (BertModel) or carry it.
std::string find_name(const SafetensorsFile& file, const std::string& name) {
  if (file.contains(name)) return name;
  if (name.rfind("bert.", 0) == 0 && file.contains(name.substr(5))) return name.substr(5);
  return "";
}

int64_t classifier_labels(const SafetensorsFile& file) {
  const auto it = file.entries().find("classifier.weight");
  if (it == file.entries().end() || it->second.shape.size() != 2) return 0;
  return it->second.shape[0];
}

}  // namespace

void load_bert_weights(BertClassifier& model, const SafetensorsFile& file,
                       bool allow_missing_head) {
  const std::string& weights_path = file.path();
  torch::NoGradGuard no_grad;
  for (auto& item : model->named_parameters()) {
    const std::string name = find_name(file, item.key());
    if (name.empty()) {
      if (allow_missing_head && is_head(item.key())) {
        // transformers' _init_weights: normal(0, initializer_range) weights, zero biases
        if (item.key().find("bias") != std::string::npos) {
          item.value().zero_();
        } else {
          item.value().normal_(0, model->config().initializer_range);
        }
        continue;
      }
      fail_file(weights_path, "missing tensor '" + item.key() + "'");
    }
    item.value().copy_(file.get_float(name, item.value().sizes().vec()));
  }
}

Teacher load_teacher(const std::string& dir, bool allow_missing_head) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail_file(dir, "no such model directory");
  BertConfig config = read_bert_config(dir);
  const std::string weights = dir + "/model.safetensors";
  if (!std::filesystem::exists(weights, ec))
    fail_file(weights, "no such file (the directory has no weights)");
  auto tokenizer = WordPieceTokenizer::from_vocab_file(dir + "/vocab.txt", config.lower_case);
  if (static_cast<int64_t>(tokenizer.vocab_size()) != config.vocab_size) {
    fail_file(dir + "/vocab.txt", "has " + std::to_string(tokenizer.vocab_size()) +
                                      " tokens but config.json says vocab_size " +
                                      std::to_string(config.vocab_size));
  }
  const SafetensorsFile file(weights);
  if (config.num_labels == 0) {
    config.num_labels = classifier_labels(file);
    if (config.num_labels == 0 && !allow_missing_head) {
      fail_file(dir + "/config.json",
                "has no id2label/num_labels and the checkpoint has no classifier");
    }
  }
  Teacher teacher{config, std::move(tokenizer), BertClassifier(config), nullptr};
  load_bert_weights(teacher.model, file, allow_missing_head);
  teacher.model->eval();
  return teacher;
}

}  // namespace b2b
