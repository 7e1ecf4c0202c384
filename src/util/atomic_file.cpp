#include "util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <vector>

#include "util/error.h"

namespace b2b {
namespace fs = std::filesystem;

namespace {
std::string temp_name(const std::string& path) {
  return path + ".tmp-" + std::to_string(::getpid());
}
}  // namespace

FileDescriptorBuffer::FileDescriptorBuffer(int fd) : fd_(fd) {
  setp(buffer_, buffer_ + sizeof buffer_);
}

bool FileDescriptorBuffer::write_all(const char* data, size_t n) {
  while (n > 0 && error_ == 0) {
    const ssize_t written = ::write(fd_, data, n);
    if (written < 0) {
      if (errno != EINTR) error_ = errno;
      continue;
    }
    data += written;
    n -= static_cast<size_t>(written);
  }
  return error_ == 0;
}

int FileDescriptorBuffer::sync() {
  const bool ok = write_all(pbase(), static_cast<size_t>(pptr() - pbase()));
  setp(buffer_, buffer_ + sizeof buffer_);
  return ok ? 0 : -1;
}

FileDescriptorBuffer::int_type FileDescriptorBuffer::overflow(int_type c) {
  if (sync() != 0) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

std::streamsize FileDescriptorBuffer::xsputn(const char* data, std::streamsize n) {
  if (n <= 0) return 0;         // an empty tensor's bytes may have no address at all
  if (n >= epptr() - pptr()) {  // large writes go straight to the file
    if (sync() != 0 || !write_all(data, static_cast<size_t>(n))) return 0;
    return n;
  }
  std::memcpy(pptr(), data, static_cast<size_t>(n));
  pbump(static_cast<int>(n));
  return n;
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_path_(temp_name(path_)) {
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_file(path_, std::string("cannot write: ") + std::strerror(errno));
  buffer_ = std::make_unique<FileDescriptorBuffer>(fd_);
  out_.rdbuf(buffer_.get());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_path_, ec);
  }
}

void AtomicFile::close() {
  if (fd_ < 0) return;
  out_.flush();
  const int error = buffer_->error();
  if (error != 0 || !out_) {
    fail_file(path_, std::string("write failed: ") +
                         (error ? std::strerror(error) : "the output stream failed"));
  }
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail_file(path_, std::string("write failed: ") + std::strerror(errno));
}

void AtomicFile::commit() {
  close();
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

std::ifstream open_input_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail_file(path, "no such file");
  if (fs::is_directory(path, ec)) fail_file(path, "is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_file(path, std::string("cannot open: ") + std::strerror(errno));
  return in;
}

std::string read_file(const std::string& path) {
  std::ifstream in = open_input_file(path);
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

void remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it.depth() > 1) it.disable_recursion_pending();
    const std::string name = it->path().filename().string();
    for (const char* marker : {".tmp-", ".old-"}) {
      const size_t at = name.rfind(marker);
      if (at == std::string::npos) continue;
      const std::string pid = name.substr(at + 5);
      if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH)
        stale.push_back(it->path());
    }
  }
  for (const auto& path : stale) fs::remove_all(path, ec);
}

}  // namespace b2b
