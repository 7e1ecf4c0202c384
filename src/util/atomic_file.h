#pragma once
// Outputs are written under a temporary name and renamed into place only when complete,
// so a killed run never leaves a truncated file that looks finished.
#include <fstream>
#include <memory>
#include <streambuf>
#include <string>

namespace b2b {

// An output stream buffer over a file descriptor that keeps the first write error (errno):
// std::ofstream forgets why a write failed (a full disk, a file-size limit).
class FileDescriptorBuffer : public std::streambuf {
 public:
  explicit FileDescriptorBuffer(int fd);
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* data, std::streamsize n) override;
  int sync() override;

 private:
  bool write_all(const char* data, size_t n);
  int fd_;
  int error_ = 0;
  char buffer_[1 << 16];
};

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary file unless commit() ran
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  // Writes out what is buffered and closes the temporary file; throws Error (a full disk, a
  // file-size limit) naming the final path. Several files that must appear together close
  // first and commit after, so that a failure leaves none of them renamed.
  void close();
  void commit();  // close() if not yet, then the rename into place

 private:
  std::string path_, temp_path_;
  int fd_ = -1;
  std::unique_ptr<FileDescriptorBuffer> buffer_;
  std::ostream out_{nullptr};
  bool committed_ = false;
};

void write_file_atomic(const std::string& path, const std::string& content);

// Removes what killed processes left under the temporary names above (NAME.tmp-PID,
// NAME.old-PID, PID no longer running) in `dir` and one level below. For a caller that holds
// the directory's lock, so that no live writer is in there.
void remove_stale_temporaries(const std::string& dir);

// A directory built under a temporary name and swapped into place by commit().
class AtomicDirectory {
 public:
  explicit AtomicDirectory(std::string path);
  ~AtomicDirectory();
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;

  // Where to write the files before commit().
  const std::string& staging() const { return temp_path_; }
  std::string staged(const std::string& name) const { return temp_path_ + "/" + name; }
  void commit();

 private:
  std::string path_, temp_path_;
  bool committed_ = false;
};

std::string read_file(const std::string& path);
// A text file as people save it: read_file without a leading UTF-8 byte-order mark (editors on
// Windows and spreadsheet exports write one; it would otherwise stick to the first word or
// column name).
std::string read_text_file(const std::string& path);
// The file opened for reading a line at a time, with read_file's errors (no such file, a
// directory, cannot open); the caller strips a byte-order mark from the first line.
std::ifstream open_input_file(const std::string& path);
// Removes a leading UTF-8 byte-order mark from `text`, if any.
void strip_byte_order_mark(std::string& text);

}  // namespace b2b
