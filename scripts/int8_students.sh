#!/usr/bin/env bash
# Issue 33: do students distilled from int8 labels score as those distilled from fp32 labels?
# The recipe, named before the runs: BENCHMARKS' 100,000-row setting with random embeddings
# (hN: SST-2's 67,349 gold rows and 32,651 augmented rows, n_iter 20, distill's default loss,
# --epochs 12 --patience 4, no baseline), five student seeds, each seed twice: its transfer set
# labeled at fp32 and at int8 (`--precision int8`), everything else equal, so the two means
# differ by the labels alone. Acceptance: the int8 mean within 0.3 points of the fp32 mean.
# The fp32 runs take the labeled transfer set of TRANSFER_FROM (default runs/past/p1, labeled
# at fp32 by the oneDNN engine), the int8 runs label it once (seed 1) and share those labels.
# THREADS per run (default 1); a killed run resumes: rerun the script.
#
#   scripts/int8_students.sh [BUILD_DIR]
#   bert2bilstm report --runs runs/int8/fp32-s{1..5} runs/int8/int8-s{1..5}   # each run, and mean ± sd by labels
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build}/bert2bilstm
SHARED=../shared
THREADS=${THREADS:-1}
FROM=${TRANSFER_FROM:-runs/past/p1}
OUT=runs/int8
mkdir -p "$OUT"

for s in ${SEEDS:-1 2 3 4 5}; do
  for p in ${PRECISIONS:-int8 fp32}; do
    from=$FROM
    if [ "$p" = int8 ] && [ "$s" != 1 ]; then from=$OUT/int8-s1; fi
    cmd=("$BIN" distill --task sst2 --data "$SHARED/data/glue/SST-2"
         --teacher "$SHARED/fixtures/teacher/bert-small-imdb-sst2"
         --conllu "$SHARED/data/pos/UD_English-EWT/en_ewt-ud-train.conllu"
         --transfer-size 100000 --precision "$p" --epochs 12 --patience 4 --no-baseline
         --threads "$THREADS" --student-seed "$s" --transfer-from "$from" --out "$OUT/$p-s$s")
    if [ -f "$OUT/$p-s$s/report.json" ]; then continue; fi
    printf '+'; printf ' %q' "${cmd[@]}"; echo
    "${cmd[@]}" > "$OUT/$p-s$s.log" 2>&1 || { echo "failed: see $OUT/$p-s$s.log"; exit 1; }
  done
done
