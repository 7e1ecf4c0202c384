#pragma once
// Each subcommand registers itself on the root app; its callback does the work.
#include <CLI/CLI.hpp>
#include <string>

namespace b2b::cli {

void add_split_command(CLI::App& app);
void add_student_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_teacher_command(CLI::App& app);
void add_pos_command(CLI::App& app);
void add_augment_command(CLI::App& app);
void add_distill_command(CLI::App& app, const std::string& command_line);
void add_demo_command(CLI::App& app, const std::string& command_line);
void add_bench_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_serve_command(CLI::App& app);   // built with cpp-httplib only
void add_export_command(CLI::App& app);  // says so when built without libonnx
// The serve options and callback on `app` itself (bert2bilstm-serve's root).
void configure_serve(CLI::App& app);

}  // namespace b2b::cli
