// bert2bilstm._bert2bilstm: libbert2bilstm's Classifier and Tokenizer for Python (no libtorch).
// bert2bilstm/__init__.py wraps these classes in the API users call (it accepts any iterable of
// texts and hands lists of str here); this file converts types, releases the GIL while the
// model or the tokenizer runs, and raises the package's exceptions (bert2bilstm/errors.py) with
// the library's one-line messages.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bert2bilstm/classifier.h"
#include "bert2bilstm/tokenizer.h"

namespace py = pybind11;

namespace {

using Texts = std::vector<std::string>;

// A model directory (or one of its files) that is not there: bert2bilstm.ModelNotFoundError,
// which is also a FileNotFoundError.
class NotFound : public b2b::Error {
 public:
  using b2b::Error::Error;
};

bool is_missing(const std::string& dir, bool weights) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return true;
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    if (!weights && std::strcmp(file, "model.safetensors") == 0) continue;
    if (!std::filesystem::exists(dir + "/" + file, ec)) return true;
  }
  return false;
}

// Runs `load`, turning the library's error for a missing directory or file into NotFound.
template <typename Load>
auto load_from(const std::string& dir, bool weights, Load load) {
  try {
    py::gil_scoped_release release;
    return load();
  } catch (const b2b::Error& e) {
    if (is_missing(dir, weights)) throw NotFound(e.what());
    throw;
  }
}

// A Python str as UTF-8. A str without a UTF-8 form (a lone surrogate, as from decoding bytes
// with errors="surrogateescape") or another type is an Error naming `what`.
std::string utf8(PyObject* item, const std::string& what) {
  if (!PyUnicode_Check(item))
    throw b2b::Error(what + " is " + Py_TYPE(item)->tp_name + ", not str");
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(item, &size);
  if (!data) {
    PyErr_Clear();
    throw b2b::Error(what + " is not valid Unicode text (it has no UTF-8 form: a lone surrogate)");
  }
  return std::string(data, static_cast<size_t>(size));
}

Texts utf8_list(const py::list& items, const char* name) {
  Texts out(items.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = utf8(items[i].ptr(), std::string(name) + "[" + std::to_string(i) + "]");
  return out;
}

std::optional<Texts> utf8_list(const std::optional<py::list>& items, const char* name) {
  if (!items) return std::nullopt;
  return utf8_list(*items, name);
}

std::vector<b2b::TextPair> zip(const Texts& a, const Texts& b) {
  if (a.size() != b.size()) {
    throw b2b::Error("texts and texts_b differ in length: " + std::to_string(a.size()) + " and " +
                     std::to_string(b.size()));
  }
  std::vector<b2b::TextPair> pairs(a.size());
  for (size_t i = 0; i < a.size(); ++i) pairs[i] = {a[i], b[i]};
  return pairs;
}

py::array_t<float> matrix(const std::vector<float>& values, size_t rows, size_t cols) {
  py::array_t<float> out({rows, cols});
  if (!values.empty())
    std::memcpy(out.mutable_data(), values.data(), values.size() * sizeof(float));
  return out;
}

class PyClassifier {
 public:
  PyClassifier(const std::string& dir, int threads, size_t max_batch, size_t max_words) {
    if (threads < 1) throw b2b::Error("threads must be at least 1, not " + std::to_string(threads));
    if (max_batch < 1) throw b2b::Error("max_batch must be at least 1");
    b2b::ClassifierOptions options;
    options.threads = threads;
    options.max_batch = max_batch;
    options.max_words = max_words;
    model_ = load_from(dir, true, [&] { return b2b::Classifier::load(dir, options); });
    directory_ = dir;
  }

  const b2b::Classifier& model() const { return *model_; }
  const std::string& directory() const { return directory_; }

  // Logits (n x labels) of single texts (b empty) or pairs, computed without the GIL.
  std::vector<float> compute(const Texts& a, const std::optional<Texts>& b) const {
    py::gil_scoped_release release;
    if (b) return model_->logits(zip(a, *b));
    return model_->logits(a);
  }

  py::array_t<float> logits(const py::list& texts, const std::optional<py::list>& texts_b) const {
    const Texts a = utf8_list(texts, "texts");
    return matrix(compute(a, utf8_list(texts_b, "texts_b")), a.size(), model_->labels().size());
  }

  py::array_t<float> probabilities(const py::list& texts,
                                   const std::optional<py::list>& texts_b) const {
    const Texts a = utf8_list(texts, "texts");
    std::vector<float> values = compute(a, utf8_list(texts_b, "texts_b"));
    const size_t k = model_->labels().size();
    for (size_t i = 0; i < a.size(); ++i) {
      const b2b::Prediction p = model_->prediction(values.data() + i * k);
      std::copy(p.probabilities.begin(), p.probabilities.end(), values.begin() + i * k);
    }
    return matrix(values, a.size(), k);
  }

  std::vector<std::string> predict(const py::list& texts,
                                   const std::optional<py::list>& texts_b) const {
    const Texts a = utf8_list(texts, "texts");
    const std::vector<float> values = compute(a, utf8_list(texts_b, "texts_b"));
    const size_t k = model_->labels().size();
    std::vector<std::string> out;
    out.reserve(a.size());
    for (size_t i = 0; i < a.size(); ++i)
      out.push_back(model_->labels()[model_->prediction(values.data() + i * k).label]);
    return out;
  }

 private:
  std::unique_ptr<b2b::Classifier> model_;
  std::string directory_;
};

class PyTokenizer {
 public:
  PyTokenizer(const std::string& dir, size_t max_words) {
    tokenizer_ = load_from(dir, false, [&] { return b2b::Tokenizer::load(dir, max_words); });
  }
  const b2b::Tokenizer& tokenizer() const { return *tokenizer_; }

  // (ids int64 n x longest, padded with [PAD]; lengths int32 n), as the ONNX model takes them.
  py::tuple batch(const py::list& items) const {
    const Texts texts = utf8_list(items, "texts");
    std::vector<std::vector<int64_t>> rows(texts.size());
    size_t width = 1;
    {
      py::gil_scoped_release release;
      for (size_t i = 0; i < texts.size(); ++i) {
        try {
          rows[i] = tokenizer_->encode(texts[i]);
        } catch (const b2b::Error& e) {
          throw b2b::Error("text " + std::to_string(i) + ": " + e.what());
        }
        width = std::max(width, rows[i].size());
      }
    }
    py::array_t<int64_t> ids({texts.size(), width});
    py::array_t<int32_t> lengths(static_cast<py::ssize_t>(texts.size()));
    int64_t* id = ids.mutable_data();
    std::fill(id, id + texts.size() * width, b2b::Tokenizer::kPadId);
    for (size_t i = 0; i < rows.size(); ++i) {
      std::copy(rows[i].begin(), rows[i].end(), id + i * width);
      lengths.mutable_data()[i] = static_cast<int32_t>(rows[i].size());
    }
    return py::make_tuple(ids, lengths);
  }

 private:
  std::unique_ptr<b2b::Tokenizer> tokenizer_;
};

}  // namespace

PYBIND11_MODULE(_bert2bilstm, m) {
  m.doc() = "libbert2bilstm for Python; use the bert2bilstm package, which wraps this module.";
  m.attr("__version__") = b2b::version();

  // The package's exception classes are defined in Python (bert2bilstm/errors.py).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const NotFound& e) {
      PyErr_SetString(py::module_::import("bert2bilstm.errors").attr("ModelNotFoundError").ptr(),
                      e.what());
    } catch (const b2b::Error& e) {
      PyErr_SetString(py::module_::import("bert2bilstm.errors").attr("Error").ptr(), e.what());
    }
  });

  py::class_<PyClassifier>(m, "Classifier")
      .def(py::init<const std::string&, int, size_t, size_t>(), py::arg("directory"),
           py::arg("threads"), py::arg("max_batch"), py::arg("max_words"))
      .def_property_readonly("labels", [](const PyClassifier& c) { return c.model().labels(); })
      .def_property_readonly("task", [](const PyClassifier& c) { return c.model().task(); })
      .def_property_readonly("is_pair", [](const PyClassifier& c) { return c.model().is_pair(); })
      .def_property_readonly("info_json",
                             [](const PyClassifier& c) { return c.model().info_json(); })
      .def_property_readonly("directory", &PyClassifier::directory)
      .def("logits", &PyClassifier::logits, py::arg("texts"), py::arg("texts_b"))
      .def("probabilities", &PyClassifier::probabilities, py::arg("texts"), py::arg("texts_b"))
      .def("predict", &PyClassifier::predict, py::arg("texts"), py::arg("texts_b"));

  py::class_<PyTokenizer>(m, "Tokenizer")
      .def(py::init<const std::string&, size_t>(), py::arg("directory"), py::arg("max_words"))
      .def("encode",
           [](const PyTokenizer& t, const py::handle& text) {
             return t.tokenizer().encode(utf8(text.ptr(), "text"));
           })
      .def("words",
           [](const PyTokenizer& t, const py::handle& text) {
             return t.tokenizer().words(utf8(text.ptr(), "text"));
           })
      .def("batch", &PyTokenizer::batch)
      .def("word", [](const PyTokenizer& t, int64_t id) { return t.tokenizer().word(id); })
      .def_property_readonly("vocab_size",
                             [](const PyTokenizer& t) { return t.tokenizer().vocab_size(); })
      .def_property_readonly("is_pair",
                             [](const PyTokenizer& t) { return t.tokenizer().is_pair(); })
      .def_property_readonly("max_words",
                             [](const PyTokenizer& t) { return t.tokenizer().max_words(); });
}
