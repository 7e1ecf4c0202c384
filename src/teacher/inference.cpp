#include "teacher/inference.h"

#include <algorithm>
#include <numeric>
#include <thread>

#include "teacher/cpu/bert_cpu.h"
#include "util/error.h"

namespace b2b {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available()) {
      throw Error("--device cuda: this build's libtorch has no CUDA support or no GPU is visible");
    }
    return torch::kCUDA;
  }
  throw Error("--device: expected cpu or cuda, got '" + name + "'");
}

size_t usable_max_length(size_t requested, const BertConfig& config) {
  if (requested < 3)
    throw Error("--max-length " + std::to_string(requested) +
                ": give at least 3 ([CLS], one token, [SEP])");
  return std::min<size_t>(requested, static_cast<size_t>(config.max_position_embeddings));
}

size_t checked_max_length(size_t requested, const BertConfig& config) {
  const size_t usable = usable_max_length(requested, config);
  if (usable < requested) {
    warn("--max-length " + std::to_string(requested) + " is beyond the model's " +
         std::to_string(usable) + " position embeddings; examples are cut to " +
         std::to_string(usable) + " WordPiece ids");
  }
  return usable;
}

Precision effective_precision(const TeacherRunOptions& options) {
  return options.device.is_cpu() ? runnable_precision(options.precision, nullptr)
                                 : options.precision;
}

Precision prepare_teacher(Teacher& teacher, const TeacherRunOptions& options) {
  checked_max_length(options.max_length, teacher.config);
  teacher.model->eval();
  if (options.device.is_cpu()) {
    std::string why;
    const Precision precision = runnable_precision(options.precision, &why);
    if (!why.empty()) warn(why);
    teacher.model->to(torch::kCPU, torch::kFloat32);
    teacher.cpu = std::make_shared<cpu::BertCpu>(teacher.model, teacher.config, precision);
    return precision;
  }
  if (options.precision == Precision::int8)
    throw Error("--precision int8 runs on CPU only; on CUDA give bf16 or fp32");
  teacher.cpu.reset();
  teacher.model->to(options.device,
                    options.precision == Precision::bf16 ? torch::kBFloat16 : torch::kFloat32);
  return options.precision;
}

EncodedBatch pad_batch(const std::vector<Encoding>& encodings, const std::vector<size_t>& rows,
                       int64_t pad_id) {
  size_t longest = 0;
  for (size_t r : rows) longest = std::max(longest, encodings[r].ids.size());
  const int64_t n = static_cast<int64_t>(rows.size()), t = static_cast<int64_t>(longest);
  EncodedBatch batch{torch::full({n, t}, pad_id, torch::kInt64),
                     torch::zeros({n, t}, torch::kInt64), torch::zeros({n, t}, torch::kInt64)};
  auto* ids = batch.ids.data_ptr<int64_t>();
  auto* types = batch.types.data_ptr<int64_t>();
  auto* mask = batch.mask.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const Encoding& e = encodings[rows[i]];
    std::copy(e.ids.begin(), e.ids.end(), ids + i * t);
    std::copy(e.type_ids.begin(), e.type_ids.end(), types + i * t);
    std::fill(mask + i * t, mask + i * t + e.ids.size(), 1);
  }
  return batch;
}

torch::Tensor teacher_logits(Teacher& teacher, const std::vector<Example>& examples, size_t begin,
                             size_t end, bool pair, const TeacherRunOptions& options,
                             Progress* progress) {
  torch::NoGradGuard no_grad;
  if (options.batch == 0) throw Error("--batch must be positive");
  const size_t n = end - begin;
  const size_t max_length = usable_max_length(options.max_length, teacher.config);
  // WordPiece on as many threads as the forward pass gets (the tokenizer is read-only).
  std::vector<Encoding> encodings(n);
  const size_t workers = std::max<size_t>(1, std::min<size_t>(at::get_num_threads(), n / 256 + 1));
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      for (size_t i = n * w / workers; i < n * (w + 1) / workers; ++i) {
        const Example& e = examples[begin + i];
        encodings[i] =
            pair ? teacher.tokenizer.encode(e.text_a, std::string_view(e.text_b), max_length)
                 : teacher.tokenizer.encode(e.text_a, std::nullopt, max_length);
      }
    });
  }
  for (auto& t : pool) t.join();
  // Longest first, so padding stays small and memory peaks at the first batch.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return encodings[a].ids.size() > encodings[b].ids.size();
  });
  const int64_t k = teacher.config.num_labels;
  torch::Tensor logits = torch::empty({static_cast<int64_t>(n), k});
  for (size_t start = 0; start < n; start += options.batch) {
    const std::vector<size_t> rows(order.begin() + start,
                                   order.begin() + std::min(n, start + options.batch));
    torch::Tensor out;
    if (teacher.cpu && options.device.is_cpu()) {
      // The CPU engine takes the batch ragged: no padding to compute.
      out = torch::empty({static_cast<int64_t>(rows.size()), k});
      teacher.cpu->forward(encodings, rows, out.data_ptr<float>());
    } else {
      const EncodedBatch batch = pad_batch(encodings, rows, teacher.tokenizer.pad_id());
      out = teacher.model
                ->forward(batch.ids.to(options.device), batch.types.to(options.device),
                          batch.mask.to(options.device))
                .to(torch::kCPU, torch::kFloat32);
    }
    std::vector<int64_t> positions(rows.begin(), rows.end());
    logits.index_copy_(0, torch::tensor(positions, torch::kInt64), out);
    if (progress) progress->add(static_cast<int64_t>(rows.size()));
  }
  return logits;
}

}  // namespace b2b
