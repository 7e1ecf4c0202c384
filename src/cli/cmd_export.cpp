// `export`: the student as an ONNX model (and its vocabulary) for onnxruntime.
#include <cstdio>

#include "cli/commands.h"
#include "util/error.h"
#ifdef B2B_WITH_ONNX
#include "export/onnx_export.h"
#endif

namespace b2b::cli {

namespace {

struct Flags {
  std::string model, format = "onnx", out;
  int opset = 14;
};

void run(const Flags& f) {
  if (f.format != "onnx") throw Error("--format: '" + f.format + "' is not supported (onnx)");
#ifdef B2B_WITH_ONNX
  OnnxExportOptions options;
  options.opset = f.opset;
  const OnnxExportResult result = export_onnx(f.model, f.out, options);
  std::printf("wrote %s (opset %d) and its vocabulary %s\n", result.model_path.c_str(), f.opset,
              result.vocab_path.c_str());
#else
  throw Error("this build has no ONNX export (install libonnx-dev: scripts/setup.sh, rebuild)");
#endif
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "export", "Write a student as an ONNX model (inputs input_ids, lengths; output logits)");
  cmd->add_option("--model", flags->model, "student directory")->required();
  cmd->add_option("--format", flags->format, "onnx")->capture_default_str();
  cmd->add_option("--out", flags->out, "model file to write; vocab.txt goes beside it")->required();
  cmd->add_option("--opset", flags->opset, "ONNX opset (13 to 17)")->capture_default_str();
  cmd->final_callback([flags] { run(*flags); });
}

}  // namespace b2b::cli
