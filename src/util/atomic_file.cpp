#include "util/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "util/error.h"

namespace b2b {
namespace fs = std::filesystem;

namespace {
std::string temp_name(const std::string& path) {
  return path + ".tmp-" + std::to_string(::getpid());
}
}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_path_(temp_name(path_)) {
  out_.open(temp_path_, std::ios::binary | std::ios::trunc);
  if (!out_) fail_file(path_, std::string("cannot write: ") + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ec;
    fs::remove(temp_path_, ec);
  }
}

void AtomicFile::commit() {
  out_.flush();
  if (!out_) fail_file(path_, "write failed (disk full?)");
  out_.close();
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    fail_file(path_, std::string("cannot rename into place: ") + std::strerror(errno));
  }
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicFile file(path);
  file.stream() << content;
  file.commit();
}

AtomicDirectory::AtomicDirectory(std::string path)
    : path_(std::move(path)), temp_path_(temp_name(path_)) {
  std::error_code ec;
  fs::remove_all(temp_path_, ec);
  fs::create_directories(temp_path_, ec);
  if (ec) fail_file(path_, "cannot create directory: " + ec.message());
}

AtomicDirectory::~AtomicDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_path_, ec);
  }
}

void AtomicDirectory::commit() {
  std::error_code ec;
  const std::string old_path = path_ + ".old-" + std::to_string(::getpid());
  const bool had_old = fs::exists(path_);
  if (had_old) {
    fs::rename(path_, old_path, ec);
    if (ec) fail_file(path_, "cannot replace existing directory: " + ec.message());
  }
  fs::rename(temp_path_, path_, ec);
  if (ec) fail_file(path_, "cannot rename into place: " + ec.message());
  committed_ = true;
  if (had_old) fs::remove_all(old_path, ec);
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail_file(path, "no such file");
  if (fs::is_directory(path, ec)) fail_file(path, "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_file(path, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void strip_byte_order_mark(std::string& text) {
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
}

std::string read_text_file(const std::string& path) {
  std::string text = read_file(path);
  strip_byte_order_mark(text);
  return text;
}

}  // namespace b2b
