#pragma once
// A one-line progress meter (items/s, ETA) on stderr when it is a terminal; silent when piped.
#include <chrono>
#include <cstdint>
#include <string>

namespace b2b {

class Progress {
 public:
  // total <= 0 means unknown (no ETA).
  Progress(std::string label, int64_t total, std::string unit = "items");
  ~Progress();
  void add(int64_t n);
  void finish();  // clears the line
  // Extra text shown after the rate, e.g. the running loss.
  void set_note(std::string note) { note_ = std::move(note); }

 private:
  void draw();
  std::string label_, unit_, note_;
  int64_t total_, done_ = 0;
  bool enabled_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

bool stderr_is_terminal();

}  // namespace b2b
