#pragma once
// The fields of a Hugging Face BertConfig (config.json) that the forward pass needs.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace b2b {

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  double classifier_dropout = -1;  // < 0: use hidden_dropout_prob, as transformers does
  double initializer_range = 0.02;
  int64_t num_labels = 0;             // 0 until known (from id2label or the classifier's shape)
  std::vector<std::string> id2label;  // empty when config.json has none
  bool lower_case = true;             // from tokenizer_config.json when present

  int64_t head_size() const { return hidden_size / num_attention_heads; }
};

// Reads dir/config.json (and dir/tokenizer_config.json for lowercasing); throws Error naming
// the file for missing or inconsistent fields or an unsupported hidden_act.
BertConfig read_bert_config(const std::string& dir);
// The classifier's label names: config.json's id2label, else "0".."k-1".
std::vector<std::string> label_names(const BertConfig& config);
// Whether those names say nothing of the labels (Hugging Face's default LABEL_0.., or
// "0".."k-1" in order): a task's own label names then map to them by position.
bool generic_label_names(const std::vector<std::string>& names);
// The config.json transformers writes for BertForSequenceClassification.
nlohmann::json bert_config_to_json(const BertConfig& config);
bool is_bert_directory(const std::string& dir);

}  // namespace b2b
