#pragma once
// An exclusive lock on a working directory for the life of a run: a second run on the same
// directory stops with an error instead of racing the first. The kernel releases it when the
// process ends, however it ends (SIGKILL included), so no stale lock is ever left to delete.
#include <string>

namespace b2b {

class DirectoryLock {
 public:
  // Locks `directory`/.lock; throws Error naming the directory (and the holder's process id)
  // when another process holds it.
  explicit DirectoryLock(const std::string& directory);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace b2b
