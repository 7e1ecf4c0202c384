#include "serve/open_inference.h"

#include <functional>

namespace b2b {

namespace {

using Json = nlohmann::json;

const char* const kOutputs[] = {"label", "probabilities", "logits"};

std::vector<std::string> input_names(const TaskSpec& task) {
  if (task.is_pair()) return {"text_a", "text_b"};
  return {"text"};
}

// The strings of a BYTES tensor's data, flattened in row-major order (nested lists allowed).
void flatten(const Json& data, const std::string& where, std::vector<std::string>& out) {
  if (data.is_string()) {
    out.push_back(data.get<std::string>());
  } else if (data.is_array()) {
    for (const Json& item : data) flatten(item, where, out);
  } else {
    throw RequestError(400, where + ": BYTES data must be strings (or lists of them)");
  }
}

std::vector<std::string> read_input(const Json& input, size_t index) {
  const std::string where = "inputs[" + std::to_string(index) + "]";
  if (!input.contains("datatype") || !input["datatype"].is_string())
    throw RequestError(400, where + ": missing \"datatype\"");
  if (input["datatype"] != "BYTES") {
    throw RequestError(400, where + ": datatype " + input["datatype"].get<std::string>() +
                                "; this model's inputs are BYTES (texts)");
  }
  if (!input.contains("shape") || !input["shape"].is_array() || input["shape"].empty())
    throw RequestError(400, where + ": missing \"shape\" (a list of dimensions)");
  size_t elements = 1;
  for (const Json& d : input["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0)
      throw RequestError(400, where + ": \"shape\" must list dimensions >= 0");
    elements *= d.get<size_t>();
  }
  const Json& shape = input["shape"];
  if (shape.size() > 2 || (shape.size() == 2 && shape[1] != 1))
    throw RequestError(400, where + ": shape must be [n] or [n, 1] (one text a row)");
  if (!input.contains("data")) throw RequestError(400, where + ": missing \"data\"");
  std::vector<std::string> texts;
  flatten(input["data"], where, texts);
  if (texts.size() != elements) {
    throw RequestError(400, where + ": shape holds " + std::to_string(elements) +
                                " elements, data " + std::to_string(texts.size()));
  }
  return texts;
}

}  // namespace

InferRequest parse_infer_request(const std::string& body, const TaskSpec& task,
                                 const RequestLimits& limits) {
  const Json json = parse_json_object(body);
  InferRequest request;
  if (json.contains("id")) {
    if (!json["id"].is_string()) throw RequestError(400, "\"id\" must be a string");
    request.id = json["id"].get<std::string>();
    request.has_id = true;
  }
  const std::vector<std::string> names = input_names(task);
  auto expected = [&] {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "\"" : ", \"") + n + "\"";
    return list;
  };
  if (!json.contains("inputs") || !json["inputs"].is_array() || json["inputs"].empty())
    throw RequestError(400, "missing \"inputs\": this model takes " + expected());
  std::vector<std::vector<std::string>> columns(names.size());
  std::vector<bool> seen(names.size());
  for (size_t i = 0; i < json["inputs"].size(); ++i) {
    const Json& input = json["inputs"][i];
    if (!input.is_object() || !input.contains("name") || !input["name"].is_string())
      throw RequestError(400, "inputs[" + std::to_string(i) + "]: missing \"name\"");
    const std::string name = input["name"].get<std::string>();
    size_t slot = names.size();
    for (size_t n = 0; n < names.size(); ++n)
      if (names[n] == name) slot = n;
    if (slot == names.size())
      throw RequestError(400, "unknown input \"" + name + "\": this model takes " + expected());
    if (seen[slot]) throw RequestError(400, "input \"" + name + "\" given twice");
    seen[slot] = true;
    columns[slot] = read_input(input, i);
  }
  for (size_t n = 0; n < names.size(); ++n)
    if (!seen[n]) throw RequestError(400, "missing input \"" + names[n] + "\"");
  if (columns.size() == 2 && columns[0].size() != columns[1].size()) {
    throw RequestError(400, "\"text_a\" holds " + std::to_string(columns[0].size()) +
                                " texts, \"text_b\" " + std::to_string(columns[1].size()));
  }
  const size_t n = columns[0].size();
  if (n == 0) throw RequestError(400, "no texts in the inputs");
  for (size_t i = 0; i < n; ++i) {
    Example e;
    e.text_a = std::move(columns[0][i]);
    if (columns.size() == 2) e.text_b = std::move(columns[1][i]);
    request.examples.push_back(std::move(e));
  }
  check_request_limits(request.examples, limits);
  if (json.contains("outputs")) {
    if (!json["outputs"].is_array()) throw RequestError(400, "\"outputs\" must be a list");
    for (size_t i = 0; i < json["outputs"].size(); ++i) {
      const Json& output = json["outputs"][i];
      if (!output.is_object() || !output.contains("name") || !output["name"].is_string())
        throw RequestError(400, "outputs[" + std::to_string(i) + "]: missing \"name\"");
      const std::string name = output["name"].get<std::string>();
      bool known = false;
      for (const char* o : kOutputs) known = known || name == o;
      if (!known) {
        throw RequestError(400, "unknown output \"" + name +
                                    "\": this model's outputs are \"label\", \"probabilities\" "
                                    "and \"logits\"");
      }
      request.outputs.push_back(name);
    }
  }
  return request;
}

Json model_metadata(const std::string& name, const StudentClassifier& model) {
  const int64_t k = static_cast<int64_t>(model.labels().size());
  Json inputs = Json::array();
  for (const auto& input : input_names(model.config().task))
    inputs.push_back({{"name", input}, {"datatype", "BYTES"}, {"shape", {-1}}});
  return {{"name", name},
          {"platform", "bert2bilstm"},
          {"inputs", inputs},
          {"outputs",
           {{{"name", "label"}, {"datatype", "BYTES"}, {"shape", {-1}}},
            {{"name", "probabilities"}, {"datatype", "FP32"}, {"shape", {-1, k}}},
            {{"name", "logits"}, {"datatype", "FP32"}, {"shape", {-1, k}}}}}};
}

Json infer_answer(const std::string& name, const StudentClassifier& model,
                  const InferRequest& request, const std::vector<float>& logits) {
  const size_t n = request.examples.size();
  const size_t k = model.labels().size();
  Json labels = Json::array(), probabilities = Json::array(), raw = Json::array();
  for (size_t i = 0; i < n; ++i) {
    const Prediction p = model.prediction(logits.data() + i * k);
    labels.push_back(model.labels()[p.label]);
    for (float v : p.probabilities) probabilities.push_back(v);
    for (float v : p.logits) raw.push_back(v);
  }
  const int64_t rows = static_cast<int64_t>(n), columns = static_cast<int64_t>(k);
  auto wanted = [&](const std::string& output) {
    if (request.outputs.empty()) return true;
    for (const auto& o : request.outputs)
      if (o == output) return true;
    return false;
  };
  Json outputs = Json::array();
  for (const std::string output : kOutputs) {
    if (!wanted(output)) continue;
    if (output == "label") {
      outputs.push_back(
          {{"name", output}, {"datatype", "BYTES"}, {"shape", {rows}}, {"data", labels}});
    } else {
      outputs.push_back({{"name", output},
                         {"datatype", "FP32"},
                         {"shape", {rows, columns}},
                         {"data", output == "logits" ? raw : probabilities}});
    }
  }
  Json answer = {{"model_name", name}, {"outputs", outputs}};
  if (request.has_id) answer["id"] = request.id;
  return answer;
}

}  // namespace b2b
