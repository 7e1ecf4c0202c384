#pragma once
// A one-line progress meter (items/s, ETA) on stderr when it is a terminal; silent when piped,
// unless the environment sets B2B_PROGRESS=1 (the Python package does, so a notebook shows the
// meter): then it is redrawn once a second with a carriage return and spaces, no terminal
// escapes, and ends with a newline. B2B_PROGRESS=0 silences it on a terminal too.
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
  bool enabled_, plain_ = false, finished_ = false;
  size_t drawn_ = 0;  // characters of the last line drawn (plain mode pads over them)
  std::chrono::steady_clock::time_point start_, last_draw_;
};

bool stderr_is_terminal();
// Whether progress is drawn: B2B_PROGRESS=1 or 0 if set, else whether stderr is a terminal.
bool progress_enabled();

}  // namespace b2b
