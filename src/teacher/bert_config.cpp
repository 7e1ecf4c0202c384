#include "teacher/bert_config.h"

#include <filesystem>

#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

namespace {

nlohmann::json read_json(const std::string& path) {
  auto json = nlohmann::json::parse(read_file(path), nullptr, false);
  if (json.is_discarded() || !json.is_object()) fail_file(path, "not a JSON object");
  return json;
}

int64_t positive(const nlohmann::json& json, const char* key, int64_t fallback,
                 const std::string& path) {
  if (!json.contains(key)) return fallback;
  if (!json[key].is_number_integer() || json[key].get<int64_t>() <= 0) {
    fail_file(path, std::string(key) + " must be a positive integer");
  }
  return json[key].get<int64_t>();
}

double number(const nlohmann::json& json, const char* key, double fallback) {
  return json.contains(key) && json[key].is_number() ? json[key].get<double>() : fallback;
}

// config.json itself; its fields of the wrong type become an Error naming the file.
BertConfig read_config_json(const std::string& path) try {
  const nlohmann::json json = read_json(path);
  if (json.value("model_type", "bert") != "bert") {
    fail_file(path, "model_type is '" + json.value("model_type", "") + "', expected bert");
  }
  BertConfig c;
  c.vocab_size = positive(json, "vocab_size", c.vocab_size, path);
  c.hidden_size = positive(json, "hidden_size", c.hidden_size, path);
  c.num_hidden_layers = positive(json, "num_hidden_layers", c.num_hidden_layers, path);
  c.num_attention_heads = positive(json, "num_attention_heads", c.num_attention_heads, path);
  c.intermediate_size = positive(json, "intermediate_size", c.intermediate_size, path);
  c.max_position_embeddings =
      positive(json, "max_position_embeddings", c.max_position_embeddings, path);
  c.type_vocab_size = positive(json, "type_vocab_size", c.type_vocab_size, path);
  c.layer_norm_eps = number(json, "layer_norm_eps", c.layer_norm_eps);
  c.hidden_dropout_prob = number(json, "hidden_dropout_prob", c.hidden_dropout_prob);
  c.attention_probs_dropout_prob =
      number(json, "attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  c.classifier_dropout = number(json, "classifier_dropout", -1);
  c.initializer_range = number(json, "initializer_range", c.initializer_range);
  if (c.hidden_size % c.num_attention_heads != 0) {
    fail_file(path, "hidden_size is not a multiple of num_attention_heads");
  }
  const std::string act = json.value("hidden_act", "gelu");
  if (act != "gelu")
    fail_file(path, "hidden_act '" + act + "' is not supported (only gelu, the erf form)");
  // Relative position embeddings would be read as absolute ones: wrong logits, silently.
  const std::string positions = json.value("position_embedding_type", "absolute");
  if (positions != "absolute") {
    fail_file(path, "position_embedding_type '" + positions +
                        "' is not supported (only absolute, as BERT)");
  }
  for (const auto& [name, p] : {std::pair{"hidden_dropout_prob", c.hidden_dropout_prob},
                                {"attention_probs_dropout_prob", c.attention_probs_dropout_prob}}) {
    if (!(p >= 0 && p < 1)) fail_file(path, std::string(name) + " is not in [0, 1)");
  }
  if (!(c.classifier_dropout < 1)) fail_file(path, "classifier_dropout is not below 1");
  if (json.contains("id2label") && json["id2label"].is_object()) {
    const auto& labels = json["id2label"];
    c.id2label.resize(labels.size());
    for (const auto& [key, value] : labels.items()) {
      size_t id = 0;
      try {
        id = std::stoul(key);
      } catch (const std::exception&) {
        fail_file(path, "id2label key '" + key + "' is not an integer");
      }
      if (id >= c.id2label.size() || !value.is_string())
        fail_file(path, "id2label is not 0..k-1 -> name");
      c.id2label[id] = value.get<std::string>();
    }
    c.num_labels = static_cast<int64_t>(c.id2label.size());
  }
  if (json.contains("num_labels")) c.num_labels = positive(json, "num_labels", 0, path);
  return c;
} catch (const nlohmann::json::exception& e) {  // a field of the wrong type ("hidden_act": 26)
  fail_file(path, std::string("bad BERT config: ") + e.what());
}

}  // namespace

bool is_bert_directory(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/config.json", ec)) return false;
  const auto json = nlohmann::json::parse(read_file(dir + "/config.json"), nullptr, false);
  return json.is_object() && json.value("model_type", "") == "bert";
}

BertConfig read_bert_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  BertConfig c = read_config_json(path);
  const std::string tokenizer_path = dir + "/tokenizer_config.json";
  std::error_code ec;
  if (std::filesystem::exists(tokenizer_path, ec)) {
    try {
      c.lower_case = read_json(tokenizer_path).value("do_lower_case", true);
    } catch (const nlohmann::json::exception& e) {  // a field of the wrong type
      fail_file(tokenizer_path, std::string("bad tokenizer config: ") + e.what());
    }
  }
  return c;
}

nlohmann::json bert_config_to_json(const BertConfig& c) {
  nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
  for (size_t i = 0; i < c.id2label.size(); ++i) {
    id2label[std::to_string(i)] = c.id2label[i];
    label2id[c.id2label[i]] = i;
  }
  nlohmann::json json = {{"architectures", {"BertForSequenceClassification"}},
                         {"model_type", "bert"},
                         {"vocab_size", c.vocab_size},
                         {"hidden_size", c.hidden_size},
                         {"num_hidden_layers", c.num_hidden_layers},
                         {"num_attention_heads", c.num_attention_heads},
                         {"intermediate_size", c.intermediate_size},
                         {"max_position_embeddings", c.max_position_embeddings},
                         {"type_vocab_size", c.type_vocab_size},
                         {"layer_norm_eps", c.layer_norm_eps},
                         {"hidden_act", "gelu"},
                         {"hidden_dropout_prob", c.hidden_dropout_prob},
                         {"attention_probs_dropout_prob", c.attention_probs_dropout_prob},
                         {"initializer_range", c.initializer_range},
                         {"pad_token_id", 0},
                         {"id2label", id2label},
                         {"label2id", label2id}};
  if (c.classifier_dropout >= 0) json["classifier_dropout"] = c.classifier_dropout;
  return json;
}

std::vector<std::string> label_names(const BertConfig& config) {
  if (!config.id2label.empty()) return config.id2label;
  std::vector<std::string> labels;
  for (int64_t c = 0; c < config.num_labels; ++c) labels.push_back(std::to_string(c));
  return labels;
}

bool generic_label_names(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != std::to_string(i) && names[i] != "LABEL_" + std::to_string(i)) return false;
  }
  return true;
}

}  // namespace b2b
