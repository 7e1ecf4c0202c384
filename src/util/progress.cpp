#include "util/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace b2b {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

namespace {
// The B2B_PROGRESS setting: 1 on, 0 off, -1 unset (or anything else).
int progress_setting() {
  const char* v = std::getenv("B2B_PROGRESS");
  if (v && std::strcmp(v, "1") == 0) return 1;
  if (v && std::strcmp(v, "0") == 0) return 0;
  return -1;
}
}  // namespace

bool progress_enabled() {
  const int setting = progress_setting();
  return setting >= 0 ? setting == 1 : stderr_is_terminal();
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(progress_enabled()),
      plain_(enabled_ && !stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::add(int64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto every = std::chrono::milliseconds(plain_ ? 1000 : 200);
  if (now - last_draw_ > every || done_ == total_) {
    last_draw_ = now;
    draw();
  }
}

void Progress::draw() {
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  char line[256];
  int n;
  if (total_ > 0) {
    const double eta = rate > 0 ? (total_ - done_) / rate : 0.0;
    n = std::snprintf(line, sizeof line, "%s %lld/%lld (%.0f%%) %.0f %s/s ETA %02d:%02d %s",
                      label_.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
                      100.0 * done_ / total_, rate, unit_.c_str(), static_cast<int>(eta) / 60,
                      static_cast<int>(eta) % 60, note_.c_str());
  } else {
    n = std::snprintf(line, sizeof line, "%s %lld %.0f %s/s %s", label_.c_str(),
                      static_cast<long long>(done_), rate, unit_.c_str(), note_.c_str());
  }
  const size_t length = n < 0 ? 0 : std::min<size_t>(static_cast<size_t>(n), sizeof line - 1);
  if (plain_) {  // no escapes: spaces over what the last line had beyond this one
    std::fprintf(stderr, "\r%s%*s", line, static_cast<int>(drawn_ > length ? drawn_ - length : 0),
                 "");
  } else {
    std::fprintf(stderr, "\r%s\x1b[K", line);
  }
  drawn_ = length;
  std::fflush(stderr);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_ && plain_) {
    if (drawn_ > 0) std::fputs("\n", stderr);  // the last count stays visible
    std::fflush(stderr);
  } else if (enabled_) {
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace b2b
