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
  // Whether a finished stage of this name is recorded.
  bool has(const std::string& stage) const { return entries_.contains(stage); }

  // Takes over finished stages of another run directory: for each of `stages` that
  // `from_dir`/manifest.json records, whose outputs all lie in from_dir and exist, and that
  // this manifest has no record of, its outputs are hard-linked (copied across file systems)
  // into `to_dir` and its record added with every path inside from_dir moved to to_dir. The
  // usual checks then decide: a stage whose settings or inputs differ in this run reruns.
  // Returns the stages taken.
  std::vector<std::string> adopt(const std::string& from_dir, const std::string& to_dir,
                                 const std::vector<std::string>& stages);

 private:
  std::string path_;
  nlohmann::json entries_;
};

}  // namespace b2b
