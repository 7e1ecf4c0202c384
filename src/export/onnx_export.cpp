#include "export/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "student/directory.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

namespace {

namespace fs = std::filesystem;

// The graph under construction, with helpers for the node kinds the student needs.
class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto& graph) : graph_(graph) {}

  void initializer(const std::string& name, const std::vector<int64_t>& dims,
                   const std::vector<float>& values) {
    onnx::TensorProto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(values.data(), values.size() * sizeof(float));
  }
  void int64_initializer(const std::string& name, const std::vector<int64_t>& values) {
    onnx::TensorProto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
  }
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs) {
    onnx::NodeProto* n = graph_.add_node();
    n->set_op_type(op);
    n->set_name(outputs.front());
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }
  static void attribute(onnx::NodeProto& n, const std::string& name, int64_t value) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  static void attribute(onnx::NodeProto& n, const std::string& name, const std::string& value) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(value);
  }
  static void attribute(onnx::NodeProto& n, const std::string& name,
                        const std::vector<int64_t>& values) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  // An input or output with named dynamic axes ("batch", "seq") or fixed sizes.
  static void value_info(onnx::ValueInfoProto* info, const std::string& name, int32_t type,
                         const std::vector<std::string>& dims) {
    info->set_name(name);
    auto* tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(type);
    for (const auto& d : dims) {
      auto* dim = tensor->mutable_shape()->add_dim();
      if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0])))
        dim->set_dim_value(std::stoll(d));
      else
        dim->set_dim_param(d);
    }
  }
  void input(const std::string& name, int32_t type, const std::vector<std::string>& dims) {
    value_info(graph_.add_input(), name, type, dims);
  }
  void output(const std::string& name, int32_t type, const std::vector<std::string>& dims) {
    value_info(graph_.add_output(), name, type, dims);
  }

 private:
  onnx::GraphProto& graph_;
};

// PyTorch stores the four gates' rows as i, f, g, o; ONNX wants i, o, f, c (c = g).
std::vector<float> onnx_gate_order(const std::vector<float>& rows, int64_t hidden, int64_t width) {
  const int64_t block = hidden * width;
  std::vector<float> out(rows.size());
  const int64_t from[4] = {0, 3, 1, 2};  // ONNX block b comes from PyTorch block from[b]
  for (int b = 0; b < 4; ++b)
    std::copy_n(rows.begin() + from[b] * block, block, out.begin() + b * block);
  return out;
}

// Appends one direction's tensors to W (4H x in), R (4H x H) and B (8H: Wb then Rb).
void append_direction(const SafetensorsReader& weights, const std::string& suffix, int64_t H,
                      int64_t in, std::vector<float>& W, std::vector<float>& R,
                      std::vector<float>& B) {
  const auto w = onnx_gate_order(weights.floats("lstm.weight_ih" + suffix, {4 * H, in}), H, in);
  const auto r = onnx_gate_order(weights.floats("lstm.weight_hh" + suffix, {4 * H, H}), H, H);
  const auto wb = onnx_gate_order(weights.floats("lstm.bias_ih" + suffix, {4 * H}), H, 1);
  const auto rb = onnx_gate_order(weights.floats("lstm.bias_hh" + suffix, {4 * H}), H, 1);
  W.insert(W.end(), w.begin(), w.end());
  R.insert(R.end(), r.begin(), r.end());
  B.insert(B.end(), wb.begin(), wb.end());
  B.insert(B.end(), rb.begin(), rb.end());
}

// Embedding lookup, time-major transpose and the LSTM for one sentence input; returns the name
// of its [batch, 2H] final states ([forward, backward]).
std::string encode_sentence(GraphBuilder& g, const StudentConfig& c, const std::string& ids,
                            const std::string& lengths, const std::string& tag) {
  std::string embedded;
  switch (c.embedding_mode) {
    case EmbeddingMode::kStatic:
      g.node("Gather", {"embedding_static.weight", ids}, {embedded = "embedded" + tag});
      break;
    case EmbeddingMode::kMultichannel: {
      // [static, trained], as the libtorch model and the runtime concatenate them.
      g.node("Gather", {"embedding_static.weight", ids}, {"embedded_static" + tag});
      g.node("Gather", {"embedding.weight", ids}, {"embedded_trained" + tag});
      auto& concat = g.node("Concat", {"embedded_static" + tag, "embedded_trained" + tag},
                            {embedded = "embedded" + tag});
      GraphBuilder::attribute(concat, "axis", int64_t{-1});
      break;
    }
    default:
      g.node("Gather", {"embedding.weight", ids}, {embedded = "embedded" + tag});
  }
  // onnxruntime refuses layout=1 (batch-major): the sequence goes time-major.
  auto& to_time = g.node("Transpose", {embedded}, {"time_major" + tag});
  GraphBuilder::attribute(to_time, "perm", std::vector<int64_t>{1, 0, 2});
  auto& lstm = g.node("LSTM", {"time_major" + tag, "lstm.W", "lstm.R", "lstm.B", lengths},
                      {"lstm_y" + tag, "lstm_h" + tag});
  GraphBuilder::attribute(lstm, "direction", std::string("bidirectional"));
  GraphBuilder::attribute(lstm, "hidden_size", c.hidden_size);
  // Y_h is [2, batch, H]: to [batch, 2, H], then [batch, 2H].
  auto& to_batch = g.node("Transpose", {"lstm_h" + tag}, {"final_states" + tag});
  GraphBuilder::attribute(to_batch, "perm", std::vector<int64_t>{1, 0, 2});
  g.node("Reshape", {"final_states" + tag, "flat_shape"}, {"sentence" + tag});
  return "sentence" + tag;
}

nlohmann::json metadata(const StudentDirectory& student, const std::string& vocab_name) {
  const StudentConfig& c = student.config;
  return {{"model_type", "bert2bilstm-student"},
          {"task", c.task.describe()},
          {"labels", c.task.labels},
          {"pair", c.task.is_pair()},
          {"embedding_mode", embedding_mode_name(c.embedding_mode)},
          {"vocabulary", vocab_name},
          {"vocabulary_format", "one word per line; a word's id is its line number, from 0"},
          {"tokenizer", "BERT's basic tokenizer (whitespace, punctuation split, CJK)"},
          {"lower_case", c.lower_case},
          {"unknown_word_id", Vocabulary::kUnk},
          {"padding_id", Vocabulary::kPad},
          {"empty_text", "a text without words is one unknown word: ids [1], length 1"}};
}

}  // namespace

OnnxExportResult export_onnx(const std::string& model_dir, const std::string& out,
                             const OnnxExportOptions& options) {
  if (options.opset < kMinOnnxOpset || options.opset > kMaxOnnxOpset) {
    throw Error("ONNX opset " + std::to_string(options.opset) + " is not supported (" +
                std::to_string(kMinOnnxOpset) + " to " + std::to_string(kMaxOnnxOpset) + ")");
  }
  std::error_code ec;
  if (fs::exists(model_dir + "/config.json", ec)) {
    const auto json = nlohmann::json::parse(read_file(model_dir + "/config.json"), nullptr, false);
    if (json.is_object() && json.value("model_type", "") == "bert")
      fail_file(model_dir, "is a BERT directory; export writes students (distill's student/)");
  }
  const StudentDirectory student = read_student_directory(model_dir);
  const StudentConfig& c = student.config;
  const SafetensorsReader& w = *student.weights;
  const int64_t V = c.vocab_size, E = c.embedding_dim, H = c.hidden_size, F = c.fc_size;
  const int64_t k = c.num_labels(), in = c.lstm_input_size();
  const bool pair = c.task.is_pair();

  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("bert2bilstm");
  model.set_producer_version(B2B_VERSION);
  model.set_model_version(1);
  model.set_doc_string("BiLSTM student distilled from BERT by bert2bilstm (task " +
                       c.task.describe() + ")");
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name("bert2bilstm_student");
  GraphBuilder g(graph);

  if (c.embedding_mode != EmbeddingMode::kStatic)
    g.initializer("embedding.weight", {V, E}, w.floats("embedding.weight", {V, E}));
  if (c.embedding_mode == EmbeddingMode::kStatic ||
      c.embedding_mode == EmbeddingMode::kMultichannel) {
    g.initializer("embedding_static.weight", {V, E}, w.floats("embedding_static.weight", {V, E}));
  }
  std::vector<float> W, R, B;
  append_direction(w, "_l0", H, in, W, R, B);
  append_direction(w, "_l0_reverse", H, in, W, R, B);
  g.initializer("lstm.W", {2, 4 * H, in}, W);
  g.initializer("lstm.R", {2, 4 * H, H}, R);
  g.initializer("lstm.B", {2, 8 * H}, B);
  g.int64_initializer("flat_shape", {0, 2 * H});  // 0: keep the batch size
  const int64_t features = (pair ? 8 : 2) * H;
  g.initializer("hidden.weight", {F, features}, w.floats("hidden.weight", {F, features}));
  g.initializer("hidden.bias", {F}, w.floats("hidden.bias", {F}));
  g.initializer("output.weight", {k, F}, w.floats("output.weight", {k, F}));
  g.initializer("output.bias", {k}, w.floats("output.bias", {k}));

  g.input("input_ids", onnx::TensorProto::INT64, {"batch", "seq"});
  g.input("lengths", onnx::TensorProto::INT32, {"batch"});
  std::string sentence = encode_sentence(g, c, "input_ids", "lengths", "");
  if (pair) {
    g.input("input_ids_b", onnx::TensorProto::INT64, {"batch", "seq_b"});
    g.input("lengths_b", onnx::TensorProto::INT32, {"batch"});
    const std::string other = encode_sentence(g, c, "input_ids_b", "lengths_b", "_b");
    g.node("Mul", {sentence, other}, {"product"});
    g.node("Sub", {sentence, other}, {"difference"});
    g.node("Abs", {"difference"}, {"distance"});
    auto& concat = g.node("Concat", {sentence, other, "product", "distance"}, {"pair_features"});
    GraphBuilder::attribute(concat, "axis", int64_t{1});
    sentence = "pair_features";
  }
  auto& hidden = g.node("Gemm", {sentence, "hidden.weight", "hidden.bias"}, {"hidden"});
  GraphBuilder::attribute(hidden, "transB", int64_t{1});
  g.node("Relu", {"hidden"}, {"hidden_relu"});
  auto& logits = g.node("Gemm", {"hidden_relu", "output.weight", "output.bias"}, {"logits"});
  GraphBuilder::attribute(logits, "transB", int64_t{1});
  g.output("logits", onnx::TensorProto::FLOAT, {"batch", std::to_string(k)});

  const std::string vocab_path = (fs::path(out).parent_path() / "vocab.txt").string();
  const nlohmann::json meta = metadata(student, "vocab.txt");
  for (const auto& [key, value] : meta.items()) {
    onnx::StringStringEntryProto* entry = model.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value.is_string() ? value.get<std::string>() : value.dump());
  }
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    fail_file(out, std::string("the ONNX checker refused the exported model: ") + e.what());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) fail_file(out, "cannot serialize the ONNX model");

  std::ostringstream words;
  for (size_t id = 0; id < student.vocab.size(); ++id)
    words << student.vocab.word(static_cast<int64_t>(id)) << '\n';
  // Both files are complete before either is renamed into place.
  if (!fs::path(out).parent_path().empty()) fs::create_directories(fs::path(out).parent_path(), ec);
  AtomicFile model_file(out), vocab_file(vocab_path);
  model_file.stream() << bytes;
  vocab_file.stream() << words.str();
  model_file.close();
  vocab_file.close();
  model_file.commit();
  vocab_file.commit();
  return {out, vocab_path};
}

}  // namespace b2b
