#include "pipeline/manifest.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

namespace fs = std::filesystem;

namespace {
uint64_t fnv1a_file(const std::string& path, uint64_t h) {
  std::ifstream in(path, std::ios::binary);
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i)
      h = (h ^ static_cast<unsigned char>(buffer[i])) * 1099511628211ULL;
  }
  return h;
}
}  // namespace

std::string hash_path(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail_file(path, "no such file or directory");
  uint64_t h = 14695981039346656037ULL;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path().filename());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      for (char c : f) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
      h = fnv1a_file(path + "/" + f, h);
    }
  } else {
    h = fnv1a_file(path, h);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

Manifest::Manifest(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  if (fs::exists(path_, ec)) {
    entries_ = nlohmann::json::parse(read_file(path_), nullptr, false);
    if (entries_.is_discarded() || !entries_.is_object())
      fail_file(path_, "not a JSON object (delete it to start over)");
  } else {
    entries_ = nlohmann::json::object();
  }
}

bool Manifest::run(const Stage& stage, bool force) {
  nlohmann::json record = {{"settings", stage.settings}, {"inputs", nlohmann::json::object()}};
  for (const auto& input : stage.inputs) record["inputs"][input] = hash_path(input);
  bool outputs_exist = true;
  for (const auto& output : stage.outputs) outputs_exist = outputs_exist && fs::exists(output);
  const auto it = entries_.find(stage.name);
  if (!force && outputs_exist && it != entries_.end() && (*it)["settings"] == record["settings"] &&
      (*it)["inputs"] == record["inputs"]) {
    std::fprintf(stderr, "stage %s: up to date, skipped\n", stage.name.c_str());
    return false;
  }
  std::fprintf(stderr, "stage %s: running\n", stage.name.c_str());
  const auto start = std::chrono::steady_clock::now();
  stage.run();
  record["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  record["outputs"] = nlohmann::json::object();
  for (const auto& output : stage.outputs) record["outputs"][output] = hash_path(output);
  entries_[stage.name] = record;
  write_file_atomic(path_, entries_.dump(2) + "\n");
  return true;
}

std::vector<std::string> Manifest::adopt(const std::string& from_dir, const std::string& to_dir,
                                         const std::vector<std::string>& stages) {
  const Manifest from(from_dir + "/manifest.json");  // none there: nothing to take
  std::error_code ec;
  const fs::path from_canonical = fs::weakly_canonical(from_dir, ec);
  // A path recorded by the other run, moved here when it lies in from_dir; empty when not.
  auto moved = [&](const std::string& path) {
    const fs::path p(path);
    return fs::weakly_canonical(p.parent_path(), ec) == from_canonical
               ? to_dir + "/" + p.filename().string()
               : std::string();
  };
  auto move_paths = [&](const nlohmann::json& paths) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [path, hash] : paths.items()) {
      const std::string here = moved(path);
      out[here.empty() ? path : here] = hash;
    }
    return out;
  };
  std::vector<std::string> taken;
  for (const auto& name : stages) {
    const auto it = from.entries_.find(name);
    if (it == from.entries_.end() || entries_.contains(name) || !it->contains("outputs")) continue;
    bool usable = true;
    for (const auto& [path, hash] : (*it)["outputs"].items())
      usable = usable && !moved(path).empty() && fs::exists(path, ec);
    if (!usable) continue;
    for (const auto& [path, hash] : (*it)["outputs"].items()) {
      const std::string here = moved(path);
      fs::remove_all(here, ec);  // an output this manifest has no record of is stale
      fs::create_hard_link(path, here, ec);
      if (ec) {
        ec.clear();
        fs::copy(path, here, fs::copy_options::recursive, ec);
        if (ec) fail_file(here, "cannot link or copy from " + path + ": " + ec.message());
      }
    }
    nlohmann::json record = *it;
    record["inputs"] = move_paths((*it)["inputs"]);
    record["outputs"] = move_paths((*it)["outputs"]);
    entries_[name] = record;
    taken.push_back(name);
  }
  if (!taken.empty()) write_file_atomic(path_, entries_.dump(2) + "\n");
  return taken;
}

}  // namespace b2b
