#include "util/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace b2b {

DirectoryLock::DirectoryLock(const std::string& directory) {
  const std::string path = directory + "/.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_file(path, std::string("cannot create the lock file: ") + std::strerror(errno));
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {0};
    const ssize_t n = pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK) {
      const std::string pid = n > 0 ? std::string(holder, strnlen(holder, sizeof holder)) : "";
      throw Error(directory + ": another run is using this directory" +
                  (pid.empty() ? "" : " (process " + pid + ")") +
                  "; wait for it to finish or give another output directory");
    }
    fail_file(path, std::string("cannot lock: ") + std::strerror(error));
  }
  // The holder's process id, for the message above (informative only: the lock is flock's).
  const std::string pid = std::to_string(getpid());
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the note.
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace b2b
