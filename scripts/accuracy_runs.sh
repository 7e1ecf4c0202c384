#!/usr/bin/env bash
# The student accuracy runs reported in BENCHMARKS.md (gold labels, the paper's sizes).
# Usage: scripts/accuracy_runs.sh [OUT_DIR] [THREADS]
set -euo pipefail
bin=build/bert2bilstm
shared=${B2B_SHARED:-../shared}
out=${1:-runs/accuracy}
threads=${2:-$(nproc)}
sst=$shared/data/glue/SST-2
mkdir -p "$out"
run() { echo "+ $*" >&2; "$@"; }

run $bin student train --task sst2 --train $sst/train.tsv --dev $sst/dev.tsv --out $out/sst2-rand --threads $threads
run $bin eval --model $out/sst2-rand --data $sst/dev.tsv
run $bin student train --task sst2 --train $sst/train.tsv --dev $sst/dev.tsv --out $out/sst2-multichannel \
  --vectors $shared/data/vectors/imdb-rt-skipgram-300d.bin --embedding-mode multichannel --threads $threads
run $bin eval --model $out/sst2-multichannel --data $sst/dev.tsv

sick="tsv:text_a=sentence_A,text_b=sentence_B,label=entailment_judgment"
run $bin split --task $sick --input $shared/data/pairs/SICK/SICK.txt --out $out/sick-split --seed 1
run $bin student train --task $sick --train $out/sick-split/train.tsv --dev $out/sick-split/dev.tsv \
  --out $out/sick --threads $threads
run $bin eval --model $out/sick --data $out/sick-split/test.tsv

quora="tsv:text_a=sentence1,text_b=sentence2,label=is_duplicate"
run $bin split --task $quora --quoting csv --input $shared/data/pairs/quora-sample/quora-dev.csv \
  --out $out/quora-split --seed 1
run $bin student train --task $quora --quoting csv --train $out/quora-split/train.tsv \
  --dev $out/quora-split/dev.tsv --out $out/quora --threads $threads
run $bin eval --model $out/quora --data $out/quora-split/test.tsv
