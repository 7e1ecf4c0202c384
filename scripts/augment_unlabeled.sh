#!/usr/bin/env bash
# Issue 32: should distill augment the unlabeled text too? It does not (the gold rows are
# augmented, texts from --unlabeled and --unlabeled-rest are labeled as they are); this
# measures that default against the alternative, done by hand with `augment`.
# Recipe, fixed before the runs: SST-2, the fixture teacher, 1,000 gold rows (--seed 1) and
# their augmentation (the labels of the learning curve's d1000s1, taken with --transfer-from),
# random embeddings, distill's default loss, --epochs 4 --patience 2, --no-baseline (the
# gold-only students on these 1,000 rows are the curve's), student seeds 1-3, three settings:
#   (u)  2,000 IMDB sentences as unlabeled text, as they are (distill's default);
#   (ua) the same 2,000 and their augmentation (`augment`, n_iter 20, the default p's, the
#        POS model of d1000s1): the alternative;
#   (un) as many distinct IMDB sentences as (ua) adds after repeats are dropped: the same
#        labeling cost spent on more real text.
# A killed run resumes: rerun the script. THREADS (default 1) per run; SEEDS (default "1 2 3").
#
#   scripts/augment_unlabeled.sh [BUILD_DIR]   # then: bert2bilstm report --runs runs/augu/*
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build}/bert2bilstm
SHARED=../shared
THREADS=${THREADS:-1}
OUT=runs/augu
CURVE=runs/curve/d1000s1
mkdir -p "$OUT"
[ -f "$CURVE/transfer.labeled.tsv" ] || { echo "needs $CURVE (scripts/learning_curve.sh)"; exit 1; }

common=(distill --task sst2 --data "$SHARED/data/glue/SST-2"
        --teacher "$SHARED/fixtures/teacher/bert-small-imdb-sst2"
        --conllu "$SHARED/data/pos/UD_English-EWT/en_ewt-ud-train.conllu"
        --teacher-trained-on "SST-2 train (482 steps of 64), after masked-LM pretraining on IMDB and Rotten Tomatoes text"
        --epochs 4 --patience 2 --no-baseline --gold-size 1000 --threads "$THREADS")
run() {  # NAME, then the arguments of one distill call
  local name=$1
  shift
  [ -f "$OUT/$name/report.json" ] && { echo "done: $OUT/$name"; return; }
  local cmd=("$BIN" "${common[@]}" "$@" --out "$OUT/$name")
  printf '+'; printf ' %q' "${cmd[@]}"; echo
  "${cmd[@]}" >> "$OUT/$name.log" 2>&1 || { echo "failed: see $OUT/$name.log"; exit 1; }
}
step() { printf '+ %s\n' "$*"; "$@"; }

for s in ${SEEDS:-1 2 3}; do
  from=$CURVE
  [ "$s" != 1 ] && from=$OUT/us1
  run "us$s" --unlabeled "$SHARED/data/unlabeled/imdb-unsup-sentences.txt" --unlabeled-size 2000 \
    --student-seed "$s" --transfer-from "$from"
  if [ ! -f "$OUT/ua.tsv" ]; then
    # (u)'s 2,000 texts (dev and test sentences already dropped) with a placeholder label, which
    # augment needs and --unlabeled ignores (it reads the text column of a delimited file).
    awk -F '\t' -v OFS='\t' 'NR == 1 { print; next } { $NF = "0"; print }' \
      "$OUT/us1/unlabeled.tsv" > "$OUT/u0.tsv"
    step "$BIN" augment --task sst2 --input "$OUT/u0.tsv" --output "$OUT/ua.tsv.tmp" \
      --pos-model "$CURVE/pos.model" --n-iter 20 --seed 1 --threads "$THREADS"
    mv "$OUT/ua.tsv.tmp" "$OUT/ua.tsv"
  fi
  from=$CURVE
  [ "$s" != 1 ] && from=$OUT/uas1
  run "uas$s" --unlabeled "$OUT/ua.tsv" --student-seed "$s" --transfer-from "$from"
  # (un): as many distinct IMDB sentences as (ua) kept, read from its collection record.
  kept=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["written"])' \
    "$OUT/uas1/unlabeled.json")
  from=$CURVE
  [ "$s" != 1 ] && from=$OUT/uns1
  run "uns$s" --unlabeled "$SHARED/data/unlabeled/imdb-unsup-sentences.txt" --unlabeled-size "$kept" \
    --student-seed "$s" --transfer-from "$from"
done
