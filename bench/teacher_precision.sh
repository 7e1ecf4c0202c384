#!/usr/bin/env bash
# Issue 33's teacher-labeling table: bert2bilstm's CPU engine at fp32, bf16 and int8 beside
# three references on the same padded batches (bench/teacher_bench writes them): PyTorch
# eager float32 and PyTorch dynamic int8 (bench/teacher_reference.py, length-sorted padded
# batches of 64), and onnxruntime float32 on a torch.onnx.export of that reference (opset 14,
# all graph optimizations), each at the same thread count. Run by `make bench`; alone:
#   bench/teacher_precision.sh [BUILD_DIR]
# B2B_TEACHER_INPUTS picks the inputs (default "sst2 imdb sick"), B2B_TEACHER_THREADS the
# thread counts (default "1 2"), B2B_TEACHER_ROWS the sentences (default 20000).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shared=${B2B_SHARED:-../shared}
rows=${B2B_TEACHER_ROWS:-20000}
model=$shared/fixtures/teacher/bert-small-imdb-sst2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ort_dir="${HOME:-/root}/.cache/bert2bilstm/onnxruntime/node_modules/onnxruntime-node"
tunables_of() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("glibc_tunables", ""))' "$1"; }

/usr/bin/python3 bench/teacher_reference.py "$model" "$work" 1 --export-onnx "$work/teacher.onnx" 2> /dev/null

input_of() {  # name -> "INPUT TASK MAX_LENGTH PLAIN DESCRIPTION"
  case $1 in
    sst2) echo "$shared/data/glue/SST-2/train.tsv sst2 128 0 the_first_${rows}_SST-2_training_sentences" ;;
    imdb) echo "$shared/data/unlabeled/imdb-unsup-sentences.txt sst2 128 1 the_first_${rows}_IMDB_sentences_(unlabeled/)" ;;
    sick) echo "$shared/data/pairs/SICK/SICK.txt tsv:text_a=sentence_A,text_b=sentence_B,label=entailment_judgment 128 0 SICK_pairs_(all,_up_to_${rows}),_--max-length_128" ;;
  esac
}

table() {  # input-name threads
  local input task max_length plain description
  read -r input task max_length plain description <<< "$(input_of "$1")"
  local t=$2 args=(--rows "$rows" --task "$task" --max-length "$max_length" --plain "$plain")
  for p in fp32 bf16 int8; do
    "$build/bench/teacher_bench" "$model" "$input" "$work" "$t" "${args[@]}" --precision "$p" > "$work/ours_$p.json"
    cp "$work/teacher_logits_cpp.bin" "$work/logits_$p.bin"
  done
  cp "$work/logits_fp32.bin" "$work/teacher_logits_cpp.bin"  # the references compare with fp32
  local tunables
  tunables=$(tunables_of "$work/ours_fp32.json")
  GLIBC_TUNABLES=$tunables /usr/bin/python3 bench/teacher_reference.py "$model" "$work" "$t" > "$work/torch.json"
  GLIBC_TUNABLES=$tunables /usr/bin/python3 bench/teacher_reference.py "$model" "$work" "$t" --int8 > "$work/torch_int8.json"
  if [[ -d "$ort_dir" ]]; then
    GLIBC_TUNABLES=$tunables node bench/teacher_onnx_reference.js "$ort_dir" "$work/teacher.onnx" "$work" "$t" > "$work/ort.json"
  else
    echo '{}' > "$work/ort.json"
  fi
  /usr/bin/python3 - "$work" "$t" "${description//_/ }" <<'PY'
import json, sys
import numpy as np
work, threads, description = sys.argv[1], sys.argv[2], sys.argv[3]
load = lambda name: json.load(open(f"{work}/{name}.json"))
torch, torch_int8, ort = load("torch"), load("torch_int8"), load("ort")
fp32 = np.fromfile(f"{work}/logits_fp32.bin", dtype=np.float32).reshape(torch["sentences"], -1)
base = torch["sentences_per_second"]
ort_speed = ort.get("sentences_per_second")
ours = {p: load(f"ours_{p}") for p in ("fp32", "bf16", "int8")}
print(f"\n{description}, {threads} thread(s), mean {ours['fp32']['mean_wordpiece_ids']:.1f} WordPiece ids, "
      f"{torch['sentences']} sentences")
print(f"| {'':52} | sentences/s | vs PyTorch fp32 | vs onnxruntime fp32 | argmax = fp32 |")
print(f"|{'-' * 54}|-------------|-----------------|---------------------|---------------|")
def row(name, speed, agree):
    vs_ort = f"{speed / ort_speed:.2f}x" if ort_speed else "-"
    print(f"| {name:52} | {speed:11.0f} | {speed / base:14.2f}x | {vs_ort:>19} | {agree:>13} |")
row(torch["implementation"], base, "(reference)")
row(torch_int8["implementation"], torch_int8["sentences_per_second"], f"{100 * torch_int8['argmax_agreement_vs_cpp']:.2f}%")
if ort_speed:
    row(ort["implementation"][:52], ort_speed, f"max diff {ort['max_abs_logit_difference_vs_cpp']:.0e}")
for p, o in ours.items():
    logits = np.fromfile(f"{work}/logits_{p}.bin", dtype=np.float32).reshape(fp32.shape)
    agree = 100 * np.mean(logits.argmax(1) == fp32.argmax(1))
    name = o["implementation"] + (f" (asked {p})" if o["precision"] != p else "")
    row(name, o["sentences_per_second"], "-" if p == "fp32" else f"{agree:.2f}%")
print(f"(bert2bilstm fp32 vs PyTorch fp32: max |logit difference| {torch['max_abs_logit_difference_vs_cpp']:.1e})")
PY
}

echo "bench: teacher labeling, the fixture teacher bert-small-imdb-sst2 (4 layers, hidden 512),"
echo "  batches of 64 longest first; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset};"
echo "  CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for name in ${B2B_TEACHER_INPUTS:-sst2 imdb sick}; do
  for t in ${B2B_TEACHER_THREADS:-1 2}; do table "$name" "$t"; done
done
