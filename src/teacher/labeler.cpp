#include "teacher/labeler.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/transfer_set.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

namespace fs = std::filesystem;

Shard parse_shard(const std::string& text) {
  Shard shard;
  const size_t slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    shard.index = std::stoul(text.substr(0, slash));
    shard.count = std::stoul(text.substr(slash + 1));
  } catch (const std::exception&) {
    throw Error("--shard: expected i/N, got '" + text + "'");
  }
  if (shard.count == 0 || shard.index >= shard.count) {
    throw Error("--shard: index must be in 0..N-1, got '" + text + "'");
  }
  return shard;
}

namespace {

// What a partial output must match to be resumed: same input, model and settings.
nlohmann::json run_identity(const std::string& input, const LabelOptions& options) {
  std::error_code ec;
  return {
      {"input", fs::absolute(input).string()},
      {"input_bytes", fs::file_size(input, ec)},
      {"model", fs::absolute(options.model_dir).string()},
      {"max_length", options.run.max_length},
      {"batch", options.run.batch},
      {"chunk_rows", options.chunk_rows},
      {"shard", std::to_string(options.shard.index) + "/" + std::to_string(options.shard.count)}};
}

struct Resume {
  size_t rows = 0;
  uint64_t bytes = 0;
};

Resume find_resume_point(const std::string& partial, const std::string& progress,
                         const nlohmann::json& identity) {
  std::error_code ec;
  if (!fs::exists(partial, ec) || !fs::exists(progress, ec)) return {};
  const auto record = nlohmann::json::parse(read_file(progress), nullptr, false);
  if (record.is_discarded() || record.value("identity", nlohmann::json()) != identity) return {};
  Resume resume{record.value("rows_done", size_t{0}), record.value("bytes_done", uint64_t{0})};
  if (fs::file_size(partial, ec) < resume.bytes) return {};
  fs::resize_file(partial, resume.bytes, ec);  // drop a chunk that was being written
  return ec ? Resume{} : resume;
}

std::string format_rows(const TaskSpec& task, const Dataset& data, size_t begin,
                        const torch::Tensor& logits) {
  std::string out;
  const torch::Tensor rows = logits.contiguous();
  const float* values = rows.data_ptr<float>();
  const int64_t k = rows.size(1);
  for (int64_t i = 0; i < rows.size(0); ++i)
    out += transfer_set_row(task, data.examples[begin + i], values + i * k, k);
  return out;
}

void append_and_sync(const std::string& path, const std::string& text, const std::string& display) {
  FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) fail_file(display, std::string("cannot write: ") + std::strerror(errno));
  errno = 0;
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() &&
                  std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int error = errno;
  std::fclose(f);
  if (!ok) {
    fail_file(display, std::string("write failed: ") +
                           (error ? std::strerror(error) : "disk full or file too large"));
  }
}

}  // namespace

LabelSummary label_file(Teacher& teacher, TaskSpec task, const std::string& input,
                        const std::string& output, const LabelOptions& options) {
  const auto start_time = std::chrono::steady_clock::now();
  ReadOptions read_options;
  read_options.labels_required = false;
  read_options.discover_labels = true;
  const Dataset data = read_dataset(input, task, read_options);
  const int64_t k = teacher.config.num_labels;
  if (!task.labels.empty() && task.num_labels() != k) {
    fail_file(options.model_dir, "has " + std::to_string(k) + " labels but task " +
                                     task.describe() + " has " + std::to_string(task.num_labels()));
  }
  // Shards are made of whole chunks counted from the first row, so every row is computed in
  // the same batch whether the file is labeled whole, in shards or after a resume (float
  // results depend on the batch a row shares).
  const size_t n = data.examples.size();
  const size_t chunks = (n + options.chunk_rows - 1) / options.chunk_rows;
  const size_t begin =
      std::min(n, chunks * options.shard.index / options.shard.count * options.chunk_rows);
  const size_t end =
      std::min(n, chunks * (options.shard.index + 1) / options.shard.count * options.chunk_rows);

  const std::string partial = output + ".partial", progress_path = output + ".progress";
  const nlohmann::json identity = run_identity(input, options);
  Resume resume = find_resume_point(partial, progress_path, identity);
  if (resume.bytes == 0) {
    AtomicFile fresh(partial);
    fresh.stream() << transfer_set_header(task, k);
    fresh.commit();
    resume = {0, fs::file_size(partial)};
  }
  LabelSummary summary;
  summary.resumed_from = resume.rows;
  if (resume.rows > 0)
    std::fprintf(stderr, "label: resumed after %zu rows already in %s\n", resume.rows,
                 partial.c_str());
  Progress progress("label", static_cast<int64_t>(end - begin - resume.rows), "sentences");
  for (size_t chunk = begin + resume.rows; chunk < end; chunk += options.chunk_rows) {
    const size_t chunk_end = std::min(end, chunk + options.chunk_rows);
    const torch::Tensor logits = teacher_logits(teacher, data.examples, chunk, chunk_end,
                                                task.is_pair(), options.run, &progress);
    const std::string text = format_rows(task, data, chunk, logits);
    append_and_sync(partial, text, output);
    resume.rows = chunk_end - begin;
    resume.bytes += text.size();
    write_file_atomic(progress_path, nlohmann::json{{"identity", identity},
                                                    {"rows_done", resume.rows},
                                                    {"bytes_done", resume.bytes}}
                                         .dump());
  }
  progress.finish();
  if (std::rename(partial.c_str(), output.c_str()) != 0)
    fail_file(output, "cannot rename into place");
  std::error_code ec;
  fs::remove(progress_path, ec);
  summary.rows = end - begin;
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return summary;
}

}  // namespace b2b
