#include "util/malloc_tuning.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace b2b {

const char* malloc_tunables() {
  // hugetlb=1: madvise(MADV_HUGEPAGE) on what malloc maps (THP in "madvise" mode, Debian's
  // default); mmap_threshold 32 MiB is glibc's maximum; trim_threshold and top_pad keep up
  // to 1 GiB of freed memory for the next step instead of returning it.
  return "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"
         "glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=67108864";
}

void reexec_with_malloc_tuning(char** argv) {
  if (const char* off = std::getenv("B2B_MALLOC_TUNING"); off && std::string(off) == "0") return;
  const char* current = std::getenv("GLIBC_TUNABLES");
  if (current && std::string(current).find("glibc.malloc.") != std::string::npos) return;
  const std::string previous = current ? current : "";
  // Ours first: where a user's tunable names the same setting, the later one (theirs) wins.
  const std::string tunables =
      previous.empty() ? malloc_tunables() : malloc_tunables() + (":" + previous);
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Not re-executed (no /proc, say): run as we are, with the environment as it was.
  if (current)
    setenv("GLIBC_TUNABLES", previous.c_str(), 1);
  else
    unsetenv("GLIBC_TUNABLES");
}

}  // namespace b2b
