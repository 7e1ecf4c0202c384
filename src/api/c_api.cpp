// The C API over Classifier: exceptions become return values and b2b_last_error().
#include "bert2bilstm/c_api.h"

#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bert2bilstm/classifier.h"

struct b2b_classifier {
  std::unique_ptr<b2b::Classifier> model;
};

namespace {

thread_local std::string last_error;

// Runs f, turning any exception into `failed` and the message into b2b_last_error().
template <typename F, typename R>
R guarded(F f, R failed) {
  try {
    last_error.clear();
    return f();
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown error";
  }
  return failed;
}

bool check_model(const b2b_classifier* model) {
  if (model) return true;
  last_error = "model is NULL";
  return false;
}

int write_outputs(const b2b::Classifier& model, const std::vector<float>& logits, size_t n,
                  int* labels, float* probabilities, float* out_logits) {
  const size_t k = static_cast<size_t>(model.num_labels());
  int label = -1;
  for (size_t i = 0; i < n; ++i) {
    const b2b::Prediction p = model.prediction(logits.data() + i * k);
    label = p.label;
    if (labels) labels[i] = p.label;
    if (probabilities)
      std::memcpy(probabilities + i * k, p.probabilities.data(), k * sizeof(float));
    if (out_logits) std::memcpy(out_logits + i * k, p.logits.data(), k * sizeof(float));
  }
  return label;
}

}  // namespace

extern "C" {

b2b_classifier* b2b_load_with(const char* directory, size_t max_batch, int threads) {
  return guarded(
      [&]() -> b2b_classifier* {
        if (!directory) throw b2b::Error("directory is NULL");
        b2b::ClassifierOptions options;
        options.max_batch = max_batch;
        options.threads = threads;
        auto model = std::make_unique<b2b_classifier>();
        model->model = b2b::Classifier::load(directory, options);
        return model.release();
      },
      static_cast<b2b_classifier*>(nullptr));
}

b2b_classifier* b2b_load(const char* directory) { return b2b_load_with(directory, 512, 1); }

void b2b_free(b2b_classifier* model) { delete model; }

int b2b_num_labels(const b2b_classifier* model) {
  return check_model(model) ? model->model->num_labels() : -1;
}

const char* b2b_label_name(const b2b_classifier* model, int id) {
  if (!check_model(model)) return nullptr;
  if (id < 0 || id >= model->model->num_labels()) {
    last_error = "label id " + std::to_string(id) + " is out of range";
    return nullptr;
  }
  return model->model->labels()[static_cast<size_t>(id)].c_str();
}

int b2b_is_pair(const b2b_classifier* model) {
  return check_model(model) ? (model->model->is_pair() ? 1 : 0) : -1;
}

int b2b_classify(const b2b_classifier* model, const char* text, float* probabilities,
                 float* logits) {
  if (!check_model(model)) return -1;
  return guarded(
      [&] {
        if (!text) throw b2b::Error("text is NULL");
        const auto out = model->model->logits(std::vector<std::string>{text});
        return write_outputs(*model->model, out, 1, nullptr, probabilities, logits);
      },
      -1);
}

int b2b_classify_pair(const b2b_classifier* model, const char* text_a, const char* text_b,
                      float* probabilities, float* logits) {
  if (!check_model(model)) return -1;
  return guarded(
      [&] {
        if (!text_a || !text_b) throw b2b::Error("text_a or text_b is NULL");
        const auto out = model->model->logits(std::vector<b2b::TextPair>{{text_a, text_b}});
        return write_outputs(*model->model, out, 1, nullptr, probabilities, logits);
      },
      -1);
}

int b2b_classify_batch(const b2b_classifier* model, const char* const* texts,
                       const char* const* texts_b, size_t n, int* labels, float* logits) {
  if (!check_model(model)) return -1;
  return guarded(
      [&] {
        if (n > 0 && (!texts || !labels)) throw b2b::Error("texts or labels is NULL");
        std::vector<float> out;
        if (texts_b) {
          std::vector<b2b::TextPair> pairs(n);
          for (size_t i = 0; i < n; ++i) {
            if (!texts[i] || !texts_b[i])
              throw b2b::Error("text " + std::to_string(i) + " is NULL");
            pairs[i] = {texts[i], texts_b[i]};
          }
          out = model->model->logits(pairs);
        } else {
          std::vector<std::string> singles(n);
          for (size_t i = 0; i < n; ++i) {
            if (!texts[i]) throw b2b::Error("text " + std::to_string(i) + " is NULL");
            singles[i] = texts[i];
          }
          out = model->model->logits(singles);
        }
        write_outputs(*model->model, out, n, labels, nullptr, logits);
        return 0;
      },
      -1);
}

const char* b2b_last_error(void) { return last_error.c_str(); }

const char* b2b_version(void) { return b2b::version(); }

}  // extern "C"
