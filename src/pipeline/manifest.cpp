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

}  // namespace b2b
