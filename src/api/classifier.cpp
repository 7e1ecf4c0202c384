#include "bert2bilstm/classifier.h"

#include <cmath>

#include "api/student_classifier.h"
#include "util/error.h"

namespace b2b {

Classifier::Classifier(std::vector<std::string> labels, bool pair, std::string task)
    : labels_(std::move(labels)), pair_(pair), task_(std::move(task)) {}

Classifier::~Classifier() = default;

std::unique_ptr<Classifier> Classifier::load(const std::string& directory,
                                             const ClassifierOptions& options) {
  return StudentClassifier::load(directory, options);
}

Prediction Classifier::prediction(const float* logits) const {
  const int k = num_labels();
  Prediction out;
  out.logits.assign(logits, logits + k);
  float top = logits[0];
  for (int c = 1; c < k; ++c) {
    if (logits[c] > top) top = logits[c], out.label = c;
  }
  double total = 0;
  for (int c = 0; c < k; ++c) total += std::exp(static_cast<double>(logits[c] - top));
  for (int c = 0; c < k; ++c)
    out.probabilities.push_back(static_cast<float>(std::exp(logits[c] - top) / total));
  return out;
}

std::vector<float> Classifier::logits(const std::vector<std::string>& texts) const {
  std::vector<float> out(texts.size() * labels_.size());
  compute_logits(texts.data(), nullptr, texts.size(), out.data());
  return out;
}

std::vector<float> Classifier::logits(const std::vector<TextPair>& pairs) const {
  std::vector<float> out(pairs.size() * labels_.size());
  compute_logits(nullptr, pairs.data(), pairs.size(), out.data());
  return out;
}

namespace {
template <typename Inputs>
std::vector<Prediction> predictions(const Classifier& model, const Inputs& inputs) {
  const std::vector<float> logits = model.logits(inputs);
  std::vector<Prediction> out;
  out.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    out.push_back(model.prediction(logits.data() + i * model.num_labels()));
  return out;
}
}  // namespace

std::vector<Prediction> Classifier::classify(const std::vector<std::string>& texts) const {
  return predictions(*this, texts);
}

std::vector<Prediction> Classifier::classify(const std::vector<TextPair>& pairs) const {
  return predictions(*this, pairs);
}

Prediction Classifier::classify(const std::string& text) const {
  return classify(std::vector<std::string>{text}).front();
}

Prediction Classifier::classify(const TextPair& pair) const {
  return classify(std::vector<TextPair>{pair}).front();
}

const char* version() { return B2B_VERSION; }

}  // namespace b2b
