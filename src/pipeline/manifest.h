#pragma once
// The distill manifest: for each finished stage, the hashes of its inputs and its settings,
// so a rerun skips stages whose inputs and settings did not change.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace b2b {

// FNV-1a 64 over a file's bytes, or over a directory's files in name order, as hex.
std::string hash_path(const std::string& path);

struct Stage {
  std::string name;
  nlohmann::json settings;
  std::vector<std::string> inputs, outputs;
  std::function<void()> run;
};

class Manifest {
 public:
  explicit Manifest(std::string path);
  // Runs the stage unless the manifest records the same inputs and settings and its outputs
  // exist; `force` runs it anyway. Records it when done. Returns true when it ran.
  bool run(const Stage& stage, bool force);

 private:
  std::string path_;
  nlohmann::json entries_;
};

}  // namespace b2b
