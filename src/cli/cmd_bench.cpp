#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "pipeline/speed.h"
#include "util/error.h"

namespace b2b::cli {

namespace {

struct Flags {
  TaskFlags task;
  std::string teacher, student, data, device = "cpu", precision = "fp32";
  size_t batch = 512;
  int threads = 0;
};

void print_row(const char* name, const ModelSpeed& s) {
  std::printf("| %s | %lld | %lld | %.4f | %zu | %.0f |\n", name,
              static_cast<long long>(s.parameters),
              static_cast<long long>(s.parameters_without_embeddings), s.seconds, s.passes,
              s.sentences_per_second());
}

void run(const Flags& f) {
  set_threads(f.threads);
  TaskSpec task = f.task.parse();  // reading may discover its labels
  ReadOptions read_options;
  read_options.discover_labels = true;
  read_options.format = f.task.file_format();
  const Dataset data = read_dataset(f.data, task, read_options);
  if (data.examples.empty()) fail_file(f.data, "has no rows to time");
  TeacherRunOptions run;
  run.batch = f.batch;
  run.device = parse_device(f.device);
  run.precision = parse_precision(f.precision);
  // The student first: libtorch's OpenMP threads keep spinning for a while after the teacher.
  const ModelSpeed student = measure_student(f.student, data.examples, f.batch);
  const ModelSpeed teacher = measure_teacher(f.teacher, data.examples, task.is_pair(), run);
  std::printf(
      "%zu sentences of %s, batch %zu, teacher on %s, student on cpu, %d threads (each "
      "model: one untimed batch, then the mean of whole passes over at least 1 s)\n\n",
      data.examples.size(), f.data.c_str(), f.batch, f.device.c_str(), at::get_num_threads());
  std::printf(
      "| model | parameters | without embeddings | seconds per pass | passes | sentences/s |\n");
  std::printf("|---|---|---|---|---|---|\n");
  print_row("teacher (BERT)", teacher);
  print_row("student (BiLSTM)", student);
  std::printf(
      "\nThe student has %.1fx fewer parameters (%.1fx without embeddings) and is %.1fx "
      "faster.\n",
      static_cast<double>(teacher.parameters) / student.parameters,
      static_cast<double>(teacher.parameters_without_embeddings) /
          student.parameters_without_embeddings,
      teacher.seconds / student.seconds);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "bench", "The paper's speed table: teacher and student over the same sentences");
  cmd->add_option("--teacher", flags->teacher, "Hugging Face BERT classifier")->required();
  cmd->add_option("--student", flags->student, "student directory")->required();
  add_task_flags(cmd, flags->task);
  add_format_flag(cmd, flags->task);
  cmd->add_option("--data", flags->data, "sentences to time (a file of the task's format)")
      ->required();
  cmd->add_option("--batch", flags->batch, "the same batch size for both")
      ->capture_default_str()
      ->check(positive_integer());
  cmd->add_option("--device", flags->device, "teacher device: cpu or cuda")->capture_default_str();
  add_precision_flag(cmd, flags->precision);
  add_threads_flag(cmd, flags->threads);
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
