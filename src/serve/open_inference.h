#pragma once
// The Open Inference Protocol's JSON REST payloads ("v2", KServe's and Triton's; the
// specification is inference_rest.md of kserve/open-inference-protocol) for a student:
//   inputs:  "text" (single-sentence models), or "text_a" and "text_b" (pair models), BYTES,
//            shape [-1] (or [-1, 1]), one text a row;
//   outputs: "label" BYTES [-1] (the label names), "probabilities" FP32 [-1, k] and
//            "logits" FP32 [-1, k], in the order of the model's labels.
// The binary tensor extension and gRPC are not served.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/student_classifier.h"
#include "data/dataset.h"
#include "serve/server.h"

namespace b2b {

// A parsed POST /v2/models/NAME/infer body.
struct InferRequest {
  std::vector<Example> examples;
  std::string id;  // echoed when present
  bool has_id = false;
  std::vector<std::string> outputs;  // the outputs asked for; empty: all
};

// Throws RequestError (400, or 413 over the limits) naming the field at fault.
InferRequest parse_infer_request(const std::string& body, const TaskSpec& task,
                                 const RequestLimits& limits = {});

// GET /v2/models/NAME: the model's name, platform, inputs and outputs.
nlohmann::json model_metadata(const std::string& name, const StudentClassifier& model);

// The infer answer for `request`, from its examples' logits (rows of k).
nlohmann::json infer_answer(const std::string& name, const StudentClassifier& model,
                            const InferRequest& request, const std::vector<float>& logits);

}  // namespace b2b
