#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace b2b {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::add(int64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(200) || done_ == total_) {
    last_draw_ = now;
    draw();
  }
}

void Progress::draw() {
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  char line[256];
  if (total_ > 0) {
    const double eta = rate > 0 ? (total_ - done_) / rate : 0.0;
    std::snprintf(line, sizeof line, "\r%s %lld/%lld (%.0f%%) %.0f %s/s ETA %02d:%02d %s\x1b[K",
                  label_.c_str(), static_cast<long long>(done_), static_cast<long long>(total_),
                  100.0 * done_ / total_, rate, unit_.c_str(), static_cast<int>(eta) / 60,
                  static_cast<int>(eta) % 60, note_.c_str());
  } else {
    std::snprintf(line, sizeof line, "\r%s %lld %.0f %s/s %s\x1b[K", label_.c_str(),
                  static_cast<long long>(done_), rate, unit_.c_str(), note_.c_str());
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) {
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace b2b
