#pragma once
// The student as an ONNX model, written with ONNX's own classes (libonnx: onnx::ModelProto,
// checked by onnx::checker), for onnxruntime in Python, the browser or a phone.
//
// Inputs: input_ids (int64, [batch, seq]) and lengths (int32, [batch]); pair students also
// input_ids_b and lengths_b. Output: logits (float, [batch, num_labels]). Batch and sequence
// axes are dynamic. The graph: Gather (both tables and a Concat for multichannel), Transpose to
// time-major, one bidirectional LSTM with sequence_lens (gates reordered from PyTorch's i,f,g,o
// to ONNX's i,o,f,c), its final states as [forward, backward], the pair features
// [h1, h2, h1*h2, |h1-h2|], then Gemm, Relu, Gemm. The word ids are the student's: the
// vocabulary file written beside the model, one word per line, the id its line number.
#include <string>

namespace b2b {

struct OnnxExportOptions {
  int opset = 14;
};

struct OnnxExportResult {
  std::string model_path, vocab_path;
};

// Reads the student directory `model_dir` and writes `out` and vocab.txt beside it, both
// atomically. Throws Error naming the file for a BERT or damaged directory, an opset outside
// the supported range, or a model the ONNX checker refuses; nothing is written then.
OnnxExportResult export_onnx(const std::string& model_dir, const std::string& out,
                             const OnnxExportOptions& options = {});

// The opsets export_onnx writes (the standard LSTM op with sequence_lens is in all of them).
constexpr int kMinOnnxOpset = 13, kMaxOnnxOpset = 17;

}  // namespace b2b
