#pragma once
// Outputs are written under a temporary name and renamed into place only when complete,
// so a killed run never leaves a truncated file that looks finished.
#include <fstream>
#include <string>

namespace b2b {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary file unless commit() ran
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  void commit();

 private:
  std::string path_, temp_path_;
  std::ofstream out_;
  bool committed_ = false;
};

void write_file_atomic(const std::string& path, const std::string& content);

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
// Removes a leading UTF-8 byte-order mark from `text`, if any.
void strip_byte_order_mark(std::string& text);

}  // namespace b2b
