#pragma once
// {"label", "probabilities", "logits"} for one row of logits: what `predict --json` prints
// per line and what the server answers.
#include <nlohmann/json.hpp>

#include "bert2bilstm/classifier.h"

namespace b2b {

inline nlohmann::json prediction_json(const Classifier& model, const float* logits) {
  const Prediction p = model.prediction(logits);
  return {
      {"label", model.labels()[p.label]}, {"probabilities", p.probabilities}, {"logits", p.logits}};
}

}  // namespace b2b
