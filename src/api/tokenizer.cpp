#include "bert2bilstm/tokenizer.h"

#include "student/directory.h"
#include "student/encoding.h"
#include "util/error.h"
#include "util/utf8.h"

namespace b2b {

struct Tokenizer::Impl {
  Vocabulary vocab;
  BasicTokenizer tokenizer;
  bool pair = false;
  size_t max_words = 0;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string& directory, size_t max_words) {
  StudentDirectory student = read_student_directory(directory, /*weights=*/false);
  auto impl =
      std::make_unique<Impl>(Impl{std::move(student.vocab), student_tokenizer(student.config),
                                  student.config.task.is_pair(), max_words});
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
  if (!is_valid_utf8(text)) throw Error("the text is not valid UTF-8");
  std::vector<std::string> words;
  return encode_text(text, impl_->tokenizer, impl_->vocab, words, impl_->max_words);
}

std::vector<std::string> Tokenizer::words(const std::string& text) const {
  if (!is_valid_utf8(text)) throw Error("the text is not valid UTF-8");
  return impl_->tokenizer.tokenize(text);
}

size_t Tokenizer::vocab_size() const { return impl_->vocab.size(); }

const std::string& Tokenizer::word(int64_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->vocab.size())
    throw Error("word id " + std::to_string(id) + " is outside the vocabulary of " +
                std::to_string(impl_->vocab.size()) + " words");
  return impl_->vocab.word(id);
}

bool Tokenizer::is_pair() const { return impl_->pair; }
size_t Tokenizer::max_words() const { return impl_->max_words; }

}  // namespace b2b
