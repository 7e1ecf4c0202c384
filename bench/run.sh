#!/usr/bin/env bash
# `make bench`: the student beside the same model in PyTorch, in one invocation, with ratios.
set -euo pipefail
build=${1:-build}
shared=${B2B_SHARED:-../shared}
threads=${B2B_THREADS:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "bench: SST-2 student, $threads threads, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
"$build/bench/student_bench" "$shared/data/glue/SST-2/train.tsv" "$shared/data/glue/SST-2/dev.tsv" "$work" "$threads" \
  > "$work/cpp.json"
/usr/bin/python3 bench/student_reference.py "$work" "$threads" > "$work/torch.json"
/usr/bin/python3 - "$work/cpp.json" "$work/torch.json" <<'PY'
import json, sys
cpp, ref = (json.load(open(p)) for p in sys.argv[1:3])
rows = [("one training epoch, batch 50 (s)", "epoch_seconds", False),
        ("inference, batch 512 (sentences/s)", "inference_sentences_per_second", True),
        ("batch-1 latency (ms)", "batch1_latency_ms", False)]
print(f"{'measure':38} {'bert2bilstm':>12} {'PyTorch':>12} {'speed-up':>9}")
for name, key, higher_is_better in rows:
    ratio = cpp[key] / ref[key] if higher_is_better else ref[key] / cpp[key]
    print(f"{name:38} {cpp[key]:12.2f} {ref[key]:12.2f} {ratio:8.2f}x")
print(f"({cpp['train_sentences']} SST-2 training sentences; {ref['implementation']})")
PY
