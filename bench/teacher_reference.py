#!/usr/bin/python3
"""The same BERT classifier in plain PyTorch eager (Debian's python3-torch), written like
transformers' BertForSequenceClassification, loaded from the same model.safetensors and run
on the exact padded batches bench/teacher_bench wrote. Prints one JSON object; also checks
that its logits agree with the C++ ones.

  teacher_reference.py MODEL_DIR WORK THREADS            PyTorch eager, float32
  teacher_reference.py MODEL_DIR WORK THREADS --int8     PyTorch dynamic int8 quantization of
                                                         every Linear (onednn engine)
  teacher_reference.py MODEL_DIR WORK THREADS --export-onnx OUT.onnx
                                                         writes the float32 model with
                                                         torch.onnx.export (opset 14) and exits
Pair batches come with WORK/teacher_types.txt (token types, same layout as the ids)."""
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(raw, dtype=DTYPES[entry["dtype"]], count=(end - begin) // np.dtype(DTYPES[entry["dtype"]]).itemsize,
                              offset=8 + n + begin)
        tensors[name] = torch.from_numpy(array.astype(np.float32)).reshape(entry["shape"])
    return tensors


class Layer(nn.Module):
    def __init__(self, h, heads, ffn, eps):
        super().__init__()
        self.heads, self.d = heads, h // heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=eps), nn.LayerNorm(h, eps=eps)
        self.ff1, self.ff2 = nn.Linear(h, ffn), nn.Linear(ffn, h)

    def forward(self, x, mask):
        b, t, h = x.shape
        split = lambda y: y.view(b, t, self.heads, self.d).transpose(1, 2)
        scores = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(self.d)
        ctx = (torch.softmax(scores + mask, -1) @ split(self.v(x))).transpose(1, 2).reshape(b, t, h)
        x = self.ln1(self.o(ctx) + x)
        return self.ln2(self.ff2(torch.nn.functional.gelu(self.ff1(x))) + x)


class Bert(nn.Module):
    def __init__(self, c, labels):
        super().__init__()
        h = c["hidden_size"]
        self.word = nn.Embedding(c["vocab_size"], h)
        self.pos = nn.Embedding(c["max_position_embeddings"], h)
        self.segment = nn.Embedding(c["type_vocab_size"], h)
        self.ln = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.layers = nn.ModuleList(Layer(h, c["num_attention_heads"], c["intermediate_size"], c["layer_norm_eps"])
                                    for _ in range(c["num_hidden_layers"]))
        self.pooler, self.classifier = nn.Linear(h, h), nn.Linear(h, labels)

    def forward(self, ids, mask, types=None):
        if types is None:
            types = torch.zeros_like(ids)
        # arange over a traced size would be exported as a constant: positions from the ids.
        positions = torch.ones_like(ids[0]).cumsum(0) - 1 if torch.onnx.is_in_onnx_export() \
            else torch.arange(ids.shape[1])
        x = self.ln(self.word(ids) + self.segment(types) + self.pos(positions)[None])
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, additive)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))

    def load(self, w):
        p = "bert.encoder.layer."
        names = {"word.weight": "bert.embeddings.word_embeddings.weight", "pos.weight": "bert.embeddings.position_embeddings.weight",
                 "segment.weight": "bert.embeddings.token_type_embeddings.weight", "ln.weight": "bert.embeddings.LayerNorm.weight",
                 "ln.bias": "bert.embeddings.LayerNorm.bias"}
        for kind in ("weight", "bias"):
            names[f"pooler.{kind}"] = f"bert.pooler.dense.{kind}"
            names[f"classifier.{kind}"] = f"classifier.{kind}"
            for i in range(len(self.layers)):
                for ours, theirs in (("q", "attention.self.query"), ("k", "attention.self.key"), ("v", "attention.self.value"),
                                     ("o", "attention.output.dense"), ("ln1", "attention.output.LayerNorm"),
                                     ("ff1", "intermediate.dense"), ("ff2", "output.dense"), ("ln2", "output.LayerNorm")):
                    names[f"layers.{i}.{ours}.{kind}"] = f"{p}{i}.{theirs}.{kind}"
        self.load_state_dict({ours: w[theirs] for ours, theirs in names.items()})


def read_batches(path):
    batches = []
    for line in open(path):
        rows = [[int(v) for v in r.split()] for r in line.strip().split(";")]
        longest = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), longest, dtype=torch.long)
        mask = torch.zeros(len(rows), longest, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        batches.append((ids, mask))
    return batches


def main():
    model_dir, work, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    torch.set_num_threads(threads)
    config = json.load(open(f"{model_dir}/config.json"))
    weights = read_safetensors(f"{model_dir}/model.safetensors")
    model = Bert(config, weights["classifier.weight"].shape[0]).eval()
    model.load(weights)
    if mode == "--export-onnx":
        ids = torch.ones(2, 7, dtype=torch.long)
        torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), sys.argv[5],
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["logits"], opset_version=14,
                          dynamic_axes={n: {0: "batch", 1: "tokens"}
                                        for n in ("input_ids", "attention_mask", "token_type_ids")})
        return
    implementation = f"PyTorch {torch.__version__} eager"
    if mode == "--int8":
        torch.backends.quantized.engine = "onednn"
        model = torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
        implementation += ", dynamic int8 (onednn)"
    batches = read_batches(f"{work}/teacher_ids.txt")
    types = [t for t, _ in read_batches(f"{work}/teacher_types.txt")] if os.path.exists(
        f"{work}/teacher_types.txt") else [None] * len(batches)
    sentences = sum(b[0].shape[0] for b in batches)
    outputs = []
    start = time.perf_counter()
    with torch.no_grad():
        for (ids, mask), t in zip(batches, types):
            outputs.append(model(ids, mask, t))
    seconds = time.perf_counter() - start
    ours = torch.cat(outputs)
    cpp = torch.from_numpy(np.fromfile(f"{work}/teacher_logits_cpp.bin", dtype=np.float32)).view_as(ours)
    print(json.dumps({"implementation": implementation, "threads": torch.get_num_threads(),
                      "sentences": sentences, "seconds": seconds, "sentences_per_second": sentences / seconds,
                      "max_abs_logit_difference_vs_cpp": (ours - cpp).abs().max().item(),
                      "argmax_agreement_vs_cpp": (ours.argmax(1) == cpp.argmax(1)).double().mean().item()}))


if __name__ == "__main__":
    main()
