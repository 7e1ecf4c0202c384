#include "text/basic_tokenizer.h"

#include <utf8proc.h>

namespace b2b {

bool is_bert_whitespace(int32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  return utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

bool is_bert_control(int32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

bool is_bert_punctuation(int32_t cp) {
  // ASCII symbols count as punctuation even where Unicode calls them S* ("$", "^", "`").
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool is_cjk_character(int32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

namespace {

// Splits words at whitespace beyond BERT's own set (U+2028, U+2029), as str.split() does.
bool is_split_whitespace(int32_t cp) {
  if (is_bert_whitespace(cp) || (cp >= 0x0B && cp <= 0x0C)) return true;
  const auto category = utf8proc_category(cp);
  return category == UTF8PROC_CATEGORY_ZL || category == UTF8PROC_CATEGORY_ZP;
}

void append_utf8(int32_t cp, std::string& out) {
  utf8proc_uint8_t buffer[4];
  const auto n = utf8proc_encode_char(cp, buffer);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
}

// NFD, then drop nonspacing marks, then lowercase: BERT's uncased normalization.
void append_uncased(int32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  utf8proc_int32_t decomposed[32];
  int last_boundclass = 0;
  const auto n = utf8proc_decompose_char(cp, decomposed, 32, UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n < 0 || n > 32) {
    append_utf8(utf8proc_tolower(cp), out);
    return;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    if (utf8proc_category(decomposed[i]) == UTF8PROC_CATEGORY_MN) continue;
    append_utf8(utf8proc_tolower(decomposed[i]), out);
  }
}

}  // namespace

BasicTokenizer::BasicTokenizer(BasicTokenizerOptions options) : options_(std::move(options)) {}

std::vector<std::string> BasicTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> tokens;
  tokenize(text, tokens);
  return tokens;
}

void BasicTokenizer::tokenize(std::string_view text, std::vector<std::string>& tokens) const {
  // Special-token strings are matched verbatim before any normalization.
  size_t start = 0;
  while (start < text.size()) {
    size_t best = std::string_view::npos;
    const std::string* special = nullptr;
    for (const auto& s : options_.never_split) {
      const size_t at = text.find(s, start);
      if (at < best) {
        best = at;
        special = &s;
      }
    }
    if (special == nullptr) break;
    tokenize_plain(text.substr(start, best - start), tokens);
    tokens.push_back(*special);
    start = best + special->size();
  }
  if (start < text.size()) tokenize_plain(text.substr(start), tokens);
}

void BasicTokenizer::tokenize_plain(std::string_view text, std::vector<std::string>& tokens) const {
  std::string word;
  auto flush = [&]() {
    if (!word.empty()) tokens.push_back(std::move(word));
    word.clear();
  };
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {  // invalid byte: treat as U+FFFD, which BERT drops
      n = 1;
      cp = 0xFFFD;
    }
    p += n;
    left -= n;
    if (cp == 0 || cp == 0xFFFD || is_bert_control(cp)) continue;
    if (is_split_whitespace(cp)) {
      flush();
    } else if (is_cjk_character(cp) || is_bert_punctuation(cp)) {
      flush();
      append_utf8(cp, word);
      flush();
    } else if (options_.lower_case) {
      // Accent stripping may leave a punctuation character behind (rare); BERT splits it.
      append_uncased(cp, word);
    } else {
      append_utf8(cp, word);
    }
  }
  flush();
}

}  // namespace b2b
