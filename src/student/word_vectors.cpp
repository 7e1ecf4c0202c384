#include "student/word_vectors.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "text/vocabulary.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

VectorsFormat parse_vectors_format(const std::string& name) {
  if (name == "auto") return VectorsFormat::kAuto;
  if (name == "word2vec-bin" || name == "bin") return VectorsFormat::kWord2VecBinary;
  if (name == "word2vec-text" || name == "text") return VectorsFormat::kWord2VecText;
  if (name == "glove") return VectorsFormat::kGloveText;
  throw Error("--vectors-format: expected auto, word2vec-bin, word2vec-text or glove, got '" +
              name + "'");
}

namespace {

std::vector<std::string> split_spaces(std::string_view line) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) parts.emplace_back(line.substr(start, i - start));
  }
  return parts;
}

bool parse_floats(const std::vector<std::string>& parts, size_t first, std::vector<float>& out) {
  out.clear();
  for (size_t i = first; i < parts.size(); ++i) {
    char* end = nullptr;
    errno = 0;
    const float v = std::strtof(parts[i].c_str(), &end);
    if (end != parts[i].c_str() + parts[i].size() || errno == ERANGE) return false;
    if (!std::isfinite(v)) return false;  // nan or inf would spread through training
    out.push_back(v);
  }
  return true;
}

std::string_view line_at(std::string_view bytes, size_t pos) {
  const size_t end = bytes.find('\n', pos);
  return bytes.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
}

// A "N D" first line marks word2vec; its next line tells text from binary.
VectorsFormat detect(std::string_view bytes, const std::string& path) {
  const std::string_view first = line_at(bytes, 0);
  const auto parts = split_spaces(first);
  std::vector<float> numbers;
  const bool header = parts.size() == 2 && parse_floats(parts, 0, numbers) &&
                      first.find('.') == std::string_view::npos;
  if (!header) return VectorsFormat::kGloveText;
  if (first.size() + 1 >= bytes.size())
    fail_file(path, "word vectors file has a header but no vectors");
  const auto record = split_spaces(line_at(bytes, first.size() + 1));
  const bool text = numbers[1] >= 0 && numbers[1] < 1e9 &&
                    record.size() == static_cast<size_t>(numbers[1]) + 1 &&
                    parse_floats(record, 1, numbers);
  return text ? VectorsFormat::kWord2VecText : VectorsFormat::kWord2VecBinary;
}

void keep(WordVectors& result, const Vocabulary* vocab, std::string word, std::vector<float> v) {
  if (vocab == nullptr || vocab->contains(word))
    result.vectors.emplace(std::move(word), std::move(v));
}

void read_text(std::string_view bytes, bool has_header, WordVectors& result,
               const Vocabulary* vocab, const std::string& path) {
  size_t pos = 0, line_number = 0;
  std::vector<float> values;
  while (pos < bytes.size()) {
    const std::string_view line = line_at(bytes, pos);
    pos += line.size() + 1;
    ++line_number;
    if (has_header && line_number == 1) continue;
    const auto parts = split_spaces(line);
    if (parts.empty()) continue;
    if (!parse_floats(parts, 1, values))
      fail_line(path, line_number, "vector holds a non-number (or nan, inf)");
    if (result.dim == 0) result.dim = static_cast<int64_t>(values.size());
    if (static_cast<int64_t>(values.size()) != result.dim || result.dim == 0) {
      fail_line(path, line_number,
                "expected " + std::to_string(result.dim) + " values, found " +
                    std::to_string(values.size()));
    }
    ++result.total_words;
    keep(result, vocab, parts[0], values);
  }
}

void read_binary(std::string_view bytes, WordVectors& result, const Vocabulary* vocab,
                 const std::string& path) {
  const std::string_view header = line_at(bytes, 0);
  const auto parts = split_spaces(header);
  if (parts.size() != 2) fail_file(path, "bad word2vec header '" + std::string(header) + "'");
  const long long count = std::atoll(parts[0].c_str());
  result.dim = std::atoll(parts[1].c_str());
  // A dimension no vector of this file could have is refused before anything is allocated.
  if (count <= 0 || result.dim <= 0 ||
      static_cast<unsigned long long>(result.dim) > bytes.size() / sizeof(float))
    fail_file(path, "bad word2vec header '" + std::string(header) + "'");
  const size_t row_bytes = static_cast<size_t>(result.dim) * sizeof(float);
  size_t pos = header.size() + 1;
  for (long long i = 0; i < count; ++i) {
    while (pos < bytes.size() && (bytes[pos] == '\n' || bytes[pos] == ' ')) ++pos;
    const size_t space = bytes.find(' ', pos);
    if (space == std::string_view::npos || space + 1 + row_bytes > bytes.size()) {
      fail_file(path, "truncated word2vec binary file: header promises " + std::to_string(count) +
                          " vectors, found " + std::to_string(i));
    }
    std::vector<float> v(static_cast<size_t>(result.dim));
    std::memcpy(v.data(), bytes.data() + space + 1, row_bytes);
    ++result.total_words;
    const std::string word(bytes.substr(pos, space - pos));
    if (!std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); }))
      fail_file(path, "the vector of '" + word + "' holds nan or inf");
    keep(result, vocab, word, std::move(v));
    pos = space + 1 + row_bytes;
  }
}

}  // namespace

WordVectors load_word_vectors(const std::string& path, VectorsFormat format,
                              const Vocabulary* vocab) {
  const std::string bytes = read_file(path);
  if (bytes.empty()) fail_file(path, "empty word vectors file");
  WordVectors result;
  result.format = format == VectorsFormat::kAuto ? detect(bytes, path) : format;
  switch (result.format) {
    case VectorsFormat::kWord2VecBinary:
      read_binary(bytes, result, vocab, path);
      break;
    case VectorsFormat::kWord2VecText:
      read_text(bytes, true, result, vocab, path);
      break;
    default:
      read_text(bytes, false, result, vocab, path);
      break;
  }
  if (result.dim == 0) fail_file(path, "no vectors found");
  return result;
}

}  // namespace b2b
