#include "teacher/labeler.h"

#include <glob.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/transfer_set.h"
#include "teacher/bert_config.h"
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

bool shard_from_scheduler(size_t indexed_job_count, Shard& shard, std::string& source) {
  auto number = [](const char* name, size_t& value) {
    const char* text = std::getenv(name);
    if (!text || !*text) return false;
    try {
      value = std::stoul(text);
    } catch (const std::exception&) {
      throw Error(std::string(name) + " is '" + text + "', not a number");
    }
    return true;
  };
  size_t id = 0, count = 0, min = 0;
  if (number("SLURM_ARRAY_TASK_ID", id)) {
    if (!number("SLURM_ARRAY_TASK_COUNT", count))
      throw Error("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
    number("SLURM_ARRAY_TASK_MIN", min);
    if (id < min) throw Error("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN");
    shard = parse_shard(std::to_string(id - min) + "/" + std::to_string(count));
    source = "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT";
    return true;
  }
  if (number("JOB_COMPLETION_INDEX", id)) {
    if (indexed_job_count == 0)
      throw Error("JOB_COMPLETION_INDEX is set: give the Job's completions as --shard-count");
    shard = parse_shard(std::to_string(id) + "/" + std::to_string(indexed_job_count));
    source = "JOB_COMPLETION_INDEX and --shard-count";
    return true;
  }
  return false;
}

namespace {

// What a partial output must match to be resumed: same input, model and settings.
nlohmann::json run_identity(const std::string& input, const LabelOptions& options) {
  std::error_code ec;
  nlohmann::json identity = {
      {"input", fs::absolute(input).string()},
      {"input_bytes", fs::file_size(input, ec)},
      {"model", fs::absolute(options.model_dir).string()},
      {"max_length", options.run.max_length},
      {"batch", options.run.batch},
      {"precision", precision_name(options.run.precision)},
      {"chunk_rows", options.chunk_rows},
      {"shard", std::to_string(options.shard.index) + "/" + std::to_string(options.shard.count)}};
  // Read another way, the same file is other rows; TSV left out, so older runs still resume.
  if (options.input_format != FileFormat::kTsv)
    identity["input_format"] = file_format_name(options.input_format);
  return identity;
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

std::string format_rows(const TaskSpec& task, const std::vector<Example>& rows,
                        const torch::Tensor& logits) {
  std::string out;
  const torch::Tensor values = logits.contiguous();
  const float* data = values.data_ptr<float>();
  const int64_t k = values.size(1);
  for (int64_t i = 0; i < values.size(0); ++i)
    out += transfer_set_row(task, rows[i], data + i * k, k);
  return out;
}

// Up to `count` rows of `reader`, labels resolved; fewer at the end of the file.
std::vector<Example> read_rows(DatasetReader& reader, size_t count) {
  std::vector<Example> rows;
  Example example;
  std::string raw_label;
  while (rows.size() < count && reader.next(example, raw_label)) {
    example.label = reader.label_of(raw_label);
    rows.push_back(std::move(example));
  }
  return rows;
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
  read_options.format = options.input_format;
  const int64_t k = teacher.config.num_labels;
  // One pass over the file, held by no one: its rows counted and checked, and the first line of
  // each label name it holds kept, so that the names are settled and a bad one refused before
  // anything is labeled. The rows are then read again chunk by chunk as they are labeled.
  size_t n = 0, malformed = 0;
  std::map<std::string, size_t> label_lines;
  {
    DatasetReader counter(input, task, read_options);
    Example example;
    std::string raw_label;
    for (; counter.next(example, raw_label); ++n) {
      if (!raw_label.empty()) label_lines.emplace(raw_label, counter.line());
    }
    malformed = counter.skipped_malformed();
  }
  if (n == 0) fail_file(input, "no examples after the header");
  if (malformed > 0)
    warn(input + ": skipped " + std::to_string(malformed) +
         " malformed rows (wrong number of fields)");
  // A task without a label list takes the teacher's label names (config.json's id2label). Names
  // that say nothing (LABEL_0.., 0..k-1) give way to the names the file's labels hold, sorted,
  // when there are k of them (the order `teacher finetune` gives its labels); a file without
  // labels, or with a placeholder, keeps the teacher's. A gold label outside the list is an
  // error naming it and its first line.
  if (task.labels.empty()) {
    const std::vector<std::string> names = label_names(teacher.config);
    task.labels = names;
    if (generic_label_names(names) && static_cast<int64_t>(label_lines.size()) == k) {
      task.labels.clear();
      for (const auto& [name, line] : label_lines) task.labels.push_back(name);
    }
  }
  if (task.num_labels() != k) {
    fail_file(options.model_dir, "has " + std::to_string(k) + " labels but task " +
                                     task.describe() + " has " + std::to_string(task.num_labels()));
  }
  for (const auto& [name, line] : label_lines) {
    if (task.label_id(name) < 0) {
      std::string expected;
      for (const auto& label : task.labels) expected += (expected.empty() ? "" : ", ") + label;
      fail_line(input, line, "unknown label '" + name + "' (expected one of: " + expected + ")");
    }
  }
  // Shards are made of whole chunks counted from the first row, so every row is computed in
  // the same batch whether the file is labeled whole, in shards or after a resume (float
  // results depend on the batch a row shares).
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
  DatasetReader reader(input, task, read_options);
  {
    Example example;
    std::string raw_label;
    for (size_t skipped = 0; skipped < begin + resume.rows; ++skipped) {
      if (!reader.next(example, raw_label))
        fail_file(input, "changed while being labeled (fewer rows than counted)");
    }
  }
  for (size_t chunk = begin + resume.rows; chunk < end; chunk += options.chunk_rows) {
    const size_t chunk_end = std::min(end, chunk + options.chunk_rows);
    const std::vector<Example> rows = read_rows(reader, chunk_end - chunk);
    if (rows.size() != chunk_end - chunk)
      fail_file(input, "changed while being labeled (fewer rows than counted)");
    const torch::Tensor logits =
        teacher_logits(teacher, rows, 0, rows.size(), task.is_pair(), options.run, &progress);
    const std::string text = format_rows(task, rows, logits);
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
  if (options.shard.count > 1) {
    nlohmann::json run = identity;
    run.erase("shard");
    write_file_atomic(output + ".shard.json", nlohmann::json{{"format", "bert2bilstm-label-shard"},
                                                             {"run", run},
                                                             {"index", options.shard.index},
                                                             {"count", options.shard.count},
                                                             {"first_row", begin},
                                                             {"rows", end - begin},
                                                             {"total_rows", n},
                                                             {"bytes", fs::file_size(output, ec)}}
                                                      .dump(2) +
                                                  "\n");
  }
  summary.rows = end - begin;
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return summary;
}

MergeSummary merge_shards(const std::string& pattern, const std::string& output) {
  glob_t found{};
  const int status = ::glob(pattern.c_str(), 0, nullptr, &found);
  std::vector<std::string> files;
  for (size_t i = 0; status == 0 && i < found.gl_pathc; ++i) {
    const std::string path = found.gl_pathv[i];
    // The shards' own records, and a merged output matched by a loose pattern, are not slices.
    if (path.size() < 11 || path.compare(path.size() - 11, 11, ".shard.json") != 0) {
      if (fs::absolute(path) != fs::absolute(output)) files.push_back(path);
    }
  }
  globfree(&found);
  if (files.empty()) throw Error("teacher merge: no file matches '" + pattern + "'");
  struct Slice {
    std::string path;
    nlohmann::json record;
  };
  std::vector<Slice> slices;
  for (const auto& path : files) {
    const std::string record_path = path + ".shard.json";
    std::error_code ec;
    if (!fs::exists(record_path, ec))
      fail_file(path, "not a finished shard of `teacher label --shard` (no " + record_path + ")");
    auto record = nlohmann::json::parse(read_file(record_path), nullptr, false);
    if (record.is_discarded() || record.value("format", "") != "bert2bilstm-label-shard")
      fail_file(record_path, "not a shard record of `teacher label`");
    if (fs::file_size(path, ec) != record.value("bytes", uint64_t{0}))
      fail_file(path, "its size differs from the one its shard record gives (changed since?)");
    slices.push_back({path, record});
  }
  const nlohmann::json& first = slices.front().record;
  const size_t count = first.value("count", size_t{0});
  std::vector<const Slice*> by_index(count, nullptr);
  for (const Slice& s : slices) {
    // Slices from before --precision existed were fp32.
    const auto precision = [](const Slice& slice) {
      return slice.record["run"].value("precision", std::string("fp32"));
    };
    if (precision(s) != precision(slices.front())) {
      fail_file(s.path, "was labeled at precision " + precision(s) + " but " + slices.front().path +
                            " at " + precision(slices.front()) +
                            "; relabel the slices of one run at one precision");
    }
    if (s.record["run"] != first["run"] || s.record.value("count", size_t{0}) != count) {
      fail_file(s.path, "is a slice of another run than " + slices.front().path +
                            " (model, input, settings or shard count differ)");
    }
    const size_t index = s.record.value("index", count);
    if (index >= count) fail_file(s.path, "shard index out of range");
    if (by_index[index]) {
      throw Error(s.path + " and " + by_index[index]->path + " are both shard " +
                  std::to_string(index) + "/" + std::to_string(count));
    }
    by_index[index] = &s;
  }
  size_t next_row = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!by_index[i]) {
      throw Error("teacher merge: shard " + std::to_string(i) + "/" + std::to_string(count) +
                  " is missing (no file matching '" + pattern + "' holds it)");
    }
    if (by_index[i]->record.value("first_row", size_t{0}) != next_row)
      fail_file(by_index[i]->path, "does not start where the previous shard ends");
    next_row += by_index[i]->record.value("rows", size_t{0});
  }
  if (next_row != first.value("total_rows", size_t{0}))
    throw Error("teacher merge: the shards hold " + std::to_string(next_row) + " rows of " +
                std::to_string(first.value("total_rows", size_t{0})));
  // Every slice starts with the same header line; the merged file has it once.
  AtomicFile merged(output);
  std::string header;
  for (size_t i = 0; i < count; ++i) {
    const std::string text = read_file(by_index[i]->path);
    const size_t end_of_header = text.find('\n');
    if (end_of_header == std::string::npos) fail_file(by_index[i]->path, "has no header line");
    const std::string own_header = text.substr(0, end_of_header + 1);
    if (i == 0) {
      header = own_header;
      merged.stream() << header;
    } else if (own_header != header) {
      fail_file(by_index[i]->path, "has another header than " + by_index[0]->path);
    }
    merged.stream().write(text.data() + header.size(),
                          static_cast<std::streamsize>(text.size() - header.size()));
  }
  merged.commit();
  return {count, next_row};
}

}  // namespace b2b
