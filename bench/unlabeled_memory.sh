#!/usr/bin/env bash
# Issue 32: `distill`'s unlabeled stage streams its text (collection and labeling), so its peak
# resident memory hardly grows with the file: the first 55,980 IMDB sentences against all
# 559,798, each collected (deduplicated against SST-2 dev and test) and labeled by the fixture
# teacher with `--gold-size 0 --stop-after unlabeled`. Labeling at --max-length 3 (the least it
# takes) keeps the run short: the memory of a chunk does not depend on the file's length, only
# what is held across it would. Prints both peaks (GNU time's maximum resident set size) and
# their ratio.
#   bench/unlabeled_memory.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
shared=${B2B_SHARED:-../shared}
threads=${B2B_THREADS:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
imdb=$shared/data/unlabeled/imdb-unsup-sentences.txt
head -n 55980 "$imdb" > "$work/imdb-55980.txt"
declare -A peak
for input in "$work/imdb-55980.txt" "$imdb"; do
  rows=$(wc -l < "$input")
  cmd=("$build/bert2bilstm" distill --task sst2 --data "$shared/data/glue/SST-2"
       --teacher "$shared/fixtures/teacher/bert-small-imdb-sst2" --gold-size 0 --unlabeled "$input"
       --stop-after unlabeled --max-length 3 --label-batch 512 --threads "$threads" --out "$work/run-$rows")
  printf '+'; printf ' %q' "${cmd[@]}"; echo
  /usr/bin/time -f '%M %e' -o "$work/time-$rows" "${cmd[@]}" > "$work/log-$rows" 2>&1 ||
    { cat "$work/log-$rows"; exit 1; }
  read -r kb seconds < "$work/time-$rows"
  peak[$rows]=$kb
  echo "unlabeled stage, $rows sentences: peak resident $((kb / 1024)) MiB, $seconds s"
done
awk -v a="${peak[55980]}" -v b="${peak[559798]}" \
  'BEGIN { printf "peak resident memory, 559,798 / 55,980 sentences: %.2f\n", b / a }'
