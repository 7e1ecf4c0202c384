#!/usr/bin/env bash
# `make bench`: the student beside the same model in PyTorch, in one invocation, with ratios.
set -euo pipefail
build=${1:-build}
shared=${B2B_SHARED:-../shared}
threads=${B2B_THREADS:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The student at 1 thread and at all cores: training (libtorch) and inference (the BLAS
# runtime, and the libtorch model beside it) against PyTorch eager on the same batches.
student_threads=${B2B_STUDENT_THREADS:-"1 $threads"}
# Our benches re-execute with glibc's allocator tuned (src/util/malloc_tuning.h) and print the
# GLIBC_TUNABLES they ran with; each reference is started with the same, so both sides of a
# ratio get the same allocator.
tunables_of() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("glibc_tunables", ""))' "$1"; }
for t in $(echo "$student_threads" | tr ' ' '\n' | sort -un); do
  echo "bench: SST-2 student, $t thread(s), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
  "$build/bench/student_bench" "$shared/data/glue/SST-2/train.tsv" "$shared/data/glue/SST-2/dev.tsv" "$work" "$t" \
    > "$work/cpp.json"
  GLIBC_TUNABLES=$(tunables_of "$work/cpp.json") /usr/bin/python3 bench/student_reference.py "$work" "$t" \
    > "$work/torch.json"
  /usr/bin/python3 - "$work/cpp.json" "$work/torch.json" <<'PY'
import json, sys
cpp, ref = (json.load(open(p)) for p in sys.argv[1:3])
rows = [("one training epoch, batch 50 (s)", "epoch_seconds", "epoch_seconds", False),
        ("inference, batch 512 (sentences/s)", "inference_sentences_per_second",
         "inference_sentences_per_second", True),
        ("  libtorch model, batch 512", "libtorch_inference_sentences_per_second",
         "inference_sentences_per_second", True),
        ("batch-1 latency (ms)", "batch1_latency_ms", "batch1_latency_ms", False),
        ("  libtorch model, batch 1", "libtorch_batch1_latency_ms", "batch1_latency_ms", False)]
print(f"{'measure':38} {'bert2bilstm':>12} {'PyTorch':>12} {'speed-up':>9}")
for name, key, ref_key, higher_is_better in rows:
    ratio = cpp[key] / ref[ref_key] if higher_is_better else ref[ref_key] / cpp[key]
    print(f"{name:38} {cpp[key]:12.3f} {ref[ref_key]:12.3f} {ratio:8.2f}x")
before = cpp["epoch_seconds_dense_one_step"]
print(f"{'  before issue 15: dense, one step (s)':38} {before:12.3f} {'':12} "
      f"{before / cpp['epoch_seconds']:8.2f}x  (this epoch against it)")
# Both epochs start from the same weights on the same batches: their losses agree to rounding.
print(f"(epoch loss {cpp['epoch_loss']:.6f}, dense one-step path {cpp['epoch_loss_dense_one_step']:.6f})")
print(f"(both sides with GLIBC_TUNABLES={cpp.get('glibc_tunables') or '(unset)'})")
print(f"({cpp['train_sentences']} SST-2 training sentences; {ref['implementation']}; runtime vs "
      f"libtorch max |logit difference| {cpp['max_abs_logit_difference_runtime_vs_libtorch']:.1e})")
PY
  # The same student exported to ONNX, in onnxruntime on the same sentences (issue 16).
  ort_dir="${HOME:-/root}/.cache/bert2bilstm/onnxruntime/node_modules/onnxruntime-node"
  if [[ -d "$ort_dir" ]] && "$build/bert2bilstm" export --model "$work/student" \
       --out "$work/onnx/student.onnx" > /dev/null 2>&1; then
    GLIBC_TUNABLES=$(tunables_of "$work/cpp.json") node bench/onnx_reference.js "$ort_dir" "$work/onnx/student.onnx" "$work" "$t" > "$work/onnx.json"
    /usr/bin/python3 - "$work/cpp.json" "$work/onnx.json" <<'PY'
import json, sys
cpp, ort = (json.load(open(p)) for p in sys.argv[1:3])
for name, key, higher in [("inference, batch 512 (sentences/s)", "inference_sentences_per_second", True),
                          ("batch-1 latency (ms)", "batch1_latency_ms", False)]:
    ratio = cpp[key] / ort[key] if higher else ort[key] / cpp[key]
    print(f"{name:38} {cpp[key]:12.3f} {ort[key]:12.3f} {ratio:8.2f}x  (vs {ort['implementation']})")
PY
  else
    echo "(no ONNX comparison: onnxruntime-node or the ONNX export is missing; scripts/setup.sh --test)"
  fi
  # The Python package (python/) against the C++ API from text, same student, same texts; BLAS
  # single-threaded on both sides' threads (the runtime's own threads split the batches).
  if [[ -d "$build/python/bert2bilstm" ]]; then
    PYTHONPATH="$build/python" OMP_NUM_THREADS=1 GLIBC_TUNABLES=$(tunables_of "$work/cpp.json") \
      /usr/bin/python3 bench/python_bench.py "$work" "$t" > "$work/python.json"
    /usr/bin/python3 - "$work/cpp.json" "$work/python.json" <<'PY'
import json, sys
cpp, py = (json.load(open(p)) for p in sys.argv[1:3])
print(f"{'Python package vs the C++ API, from text':38} {'C++ API':>12} {'Python':>12}")
s_cpp, s_py = cpp["api_text_sentences_per_second"], py["sentences_per_second"]
print(f"{'  batch 512 (sentences/s)':38} {s_cpp:12.0f} {s_py:12.0f} {s_py / s_cpp:8.2f}x"
      "  (target: within 10%)")
l_cpp, l_py = cpp["api_text_batch1_latency_ms"], py["batch1_latency_ms"]
print(f"{'  one sentence a call (ms, 5,000 calls)':38} {l_cpp:12.4f} {l_py:12.4f} "
      f"{l_py - l_cpp:+8.4f} ms  (target: within 0.05 ms)")
if "single_calls_per_second_4_threads" in py:
    one, four = py["single_calls_per_second_1_thread"], py["single_calls_per_second_4_threads"]
    print(f"{'  single-sentence calls/s, Python threads':38} {'1: ' + format(one, '.0f'):>12} "
          f"{'4: ' + format(four, '.0f'):>12} {four / one:8.2f}x  (target: >= 1.6x on two cores)")
print(f"(C++ API from text vs from word ids: max |logit difference| "
      f"{cpp['api_text_max_abs_logit_difference']:.1e})")
PY
  else
    echo "(no Python rows: the build has no Python module; scripts/setup.sh --test)"
  fi
  echo
done

# B2B_BENCH_PARTS=student stops here (the student against PyTorch and onnxruntime only).
if [[ "${B2B_BENCH_PARTS:-all}" == student ]]; then exit 0; fi

# Teacher labeling (issue 33): the CPU engine at fp32, bf16 and int8 beside PyTorch fp32,
# PyTorch dynamic int8 and onnxruntime fp32, on SST-2, IMDB and SICK pairs; then SST-2 again
# with OPENBLAS_CORETYPE unset (PyTorch's GEMMs gain from it; ours do not use OpenBLAS).
echo
bench/teacher_precision.sh "$build"
if [[ -n "${OPENBLAS_CORETYPE:-}" ]]; then
  echo
  env -u OPENBLAS_CORETYPE B2B_TEACHER_INPUTS=sst2 bench/teacher_precision.sh "$build"
fi
# A random-weight BERT-base-shaped checkpoint, fp32, beside the same BERT in PyTorch eager.
base_rows=${B2B_BASE_ROWS:-1000}
compare_teacher() {  # name model rows
  local name=$1 model=$2 rows=$3
  "$build/bench/teacher_bench" "$model" "$shared/data/glue/SST-2/train.tsv" "$work" "$threads" --rows "$rows" > "$work/t_cpp.json"
  GLIBC_TUNABLES=$(tunables_of "$work/t_cpp.json") /usr/bin/python3 bench/teacher_reference.py \
    "$model" "$work" "$threads" > "$work/t_torch.json"
  /usr/bin/python3 - "$name" "$work/t_cpp.json" "$work/t_torch.json" <<'PY'
import json, sys
name = sys.argv[1]
cpp, ref = (json.load(open(p)) for p in sys.argv[2:4])
print(f"{name:38} {cpp['sentences_per_second']:12.1f} {ref['sentences_per_second']:12.1f} "
      f"{cpp['sentences_per_second'] / ref['sentences_per_second']:8.2f}x")
print(f"  ({cpp['sentences']} sentences, batch {cpp['batch']}; max |logit difference| "
      f"{ref['max_abs_logit_difference_vs_cpp']:.2e})")
PY
}
echo
echo "bench: teacher labeling (sentences/s), fp32, $threads threads"
printf "%-38s %12s %12s %9s\n" "model" "bert2bilstm" "PyTorch" "speed-up"
"$build/bench/teacher_bench" --make-random-base "$work/bert-base-random" "$shared/data/bert/vocab.txt"
compare_teacher "BERT-base shape, random weights" "$work/bert-base-random" "$base_rows"

# Serving: wrk against `bert2bilstm serve` at 1, 8 and 64 connections.
echo
bench/serve_bench.sh "$build"
# The event-driven core against the thread-per-connection server it replaced (built once from
# its commit), and normal clients beside 10,000 half-sent connections.
echo
bench/serve_compare.sh "$build"
