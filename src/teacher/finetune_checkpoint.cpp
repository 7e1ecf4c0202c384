#include "teacher/finetune_checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

#include "io/safetensors.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace b2b {

namespace {

// The CPU generator, and the device's: dropout masks after resuming are the ones an
// uninterrupted run draws.
std::vector<at::Generator> generators(torch::Device device) {
  std::vector<at::Generator> out = {at::detail::getDefaultCPUGenerator()};
  if (device.is_cuda()) out.push_back(at::globalContext().defaultGenerator(device));
  return out;
}

// torch::load, with libtorch's error turned into one line naming the file.
template <typename T>
void load_checkpoint_file(T& into, const std::string& path) {
  try {
    torch::load(into, path);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    fail_file(path, "cannot be read (" + what.substr(0, what.find('\n')) +
                        "); delete the .work directory to start over");
  }
}

}  // namespace

void write_teacher_files(const std::string& dir, const Teacher& teacher,
                         const std::string& vocab_path) {
  write_file_atomic(dir + "/config.json", bert_config_to_json(teacher.config).dump(2) + "\n");
  write_file_atomic(dir + "/tokenizer_config.json",
                    nlohmann::json{{"do_lower_case", teacher.config.lower_case},
                                   {"tokenizer_class", "BertTokenizer"}}
                            .dump(2) +
                        "\n");
  write_file_atomic(dir + "/vocab.txt", read_file(vocab_path));
  NamedTensors tensors;
  for (const auto& item : teacher.model->named_parameters()) {
    tensors.emplace_back(item.key(), item.value().detach().to(torch::kCPU, torch::kFloat32));
  }
  save_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
}

void save_teacher(const std::string& dir, const Teacher& teacher, const std::string& vocab_path) {
  AtomicDirectory out(dir);
  write_teacher_files(out.staging(), teacher, vocab_path);
  out.commit();
}

void save_last_epoch(const std::string& dir, const Teacher& teacher, torch::optim::AdamW& optimizer,
                     const RateProgress& progress, const std::string& vocab_path,
                     torch::Device device) {
  AtomicDirectory out(dir);
  write_teacher_files(out.staging(), teacher, vocab_path);
  torch::save(optimizer, out.staged("optimizer.pt"));
  std::vector<torch::Tensor> states;
  for (auto& generator : generators(device)) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    states.push_back(generator.get_state());
  }
  torch::save(states, out.staged("rng.pt"));
  write_file_atomic(out.staged("progress.json"),
                    nlohmann::json{{"epoch", progress.epoch},
                                   {"best_dev_accuracy", progress.result.best_dev_accuracy},
                                   {"best_epoch", progress.result.best_epoch},
                                   {"settings", progress.settings}}
                            .dump(2) +
                        "\n");
  out.commit();
}

RateProgress read_last_epoch(const std::string& dir, double lr) {
  const std::string path = dir + "/progress.json";
  RateProgress progress;
  try {
    const auto record = nlohmann::json::parse(read_file(path));
    progress.epoch = record.at("epoch").get<int>();
    progress.result = {lr, record.at("best_dev_accuracy").get<double>(),
                       record.at("best_epoch").get<int>()};
    progress.settings = record.value("settings", nlohmann::json());
  } catch (const nlohmann::json::exception& e) {
    fail_file(path, std::string("is not a fine-tuning progress record: ") + e.what());
  }
  return progress;
}

void restore_last_epoch(const std::string& dir, torch::optim::AdamW& optimizer,
                        torch::Device device) {
  load_checkpoint_file(optimizer, dir + "/optimizer.pt");
  std::vector<torch::Tensor> states;
  load_checkpoint_file(states, dir + "/rng.pt");
  // The CPU generator first; a device generator only where both runs had one (resuming on
  // another device cannot repeat its dropout masks anyway).
  auto gens = generators(device);
  for (size_t i = 0; i < std::min(gens.size(), states.size()); ++i) {
    std::lock_guard<std::mutex> lock(gens[i].mutex());
    gens[i].set_state(states[i]);
  }
}

}  // namespace b2b
