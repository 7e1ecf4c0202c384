#!/usr/bin/env bash
# Issue 32's SST-2 learning curve: dev accuracy against the number of gold labels the students
# see, for (a) the student trained on the gold rows alone, (b) distilled over augmentation only
# (the paper's recipe), (c) distilled with the rest of SST-2 train as unlabeled text, and (d)
# that plus 200,000 IMDB sentences; and at 1,000 gold labels (e), the 200,000 IMDB sentences
# alone, and (v), setting (d) with in-domain word vectors (the 300-d skip-gram vectors trained
# on IMDB and Rotten Tomatoes text, non-static; its gold-only student has them too). Random
# embeddings otherwise, distill's default loss; the budget is
# fixed here, before any run, and printed with every table:
#   students: --epochs 4 --patience 2 (the undistilled student step-matched by distill);
#   one student seed a point, seeds 1-3 at 1,000 gold labels; --seed 1 (gold sample, augmentation).
# The teacher is the fixture bert-small-imdb-sst2 (fine-tuned on SST-2 train after masked-LM
# pretraining on IMDB and Rotten Tomatoes text), used as given.
#
# Teacher labels are computed once per text source and reused (--transfer-from): the first run
# of each setting (its 0-gold point; e1000s1 for (e)) labels the unlabeled text, the others take
# its `unlabeled` stage; another seed of a point takes the point's first seed; (d) takes the
# labels of its gold rows' augmentation from (c) at the same point (b at all gold), in a first
# call that adopts (d)'s unlabeled stage and stops, then a second that adopts the rest.
# At all 67,349 gold labels the rest of train is empty: (c) is (b) and is not run again.
# The gold-only student (a) of a point is the undistilled student of its (b) run, step-matched
# to (b); (c) and (d) run --no-baseline (c1000s1 and the d/e/v runs at 1,000, run before this
# rule, have baselines of their own, reported too).
# Every run resumes where it was killed: rerun the script; a run with a report.json is done and
# skipped. Planned for about ten hours of two cores; RUNS=... picks a subset, e.g.
# RUNS="d1000s1 d1000s2" (names below). THREADS (default 2) per run; SEEDS_1000 (default
# "1 2 3") the student seeds at 1,000 gold labels, SEEDS_OTHER (default 1) at the other points.
#
#   scripts/learning_curve.sh [BUILD_DIR]      # then: bert2bilstm report --runs runs/curve/* --out runs/curve.md
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build}/bert2bilstm
SHARED=../shared
THREADS=${THREADS:-2}
OUT=runs/curve
mkdir -p "$OUT"

common=(distill --task sst2 --data "$SHARED/data/glue/SST-2"
        --teacher "$SHARED/fixtures/teacher/bert-small-imdb-sst2"
        --conllu "$SHARED/data/pos/UD_English-EWT/en_ewt-ud-train.conllu"
        --teacher-trained-on "SST-2 train (482 steps of 64), after masked-LM pretraining on IMDB and Rotten Tomatoes text"
        --epochs 4 --patience 2 --threads "$THREADS")
imdb=(--unlabeled "$SHARED/data/unlabeled/imdb-unsup-sentences.txt" --unlabeled-size 200000)
vectors=(--vectors "$SHARED/data/vectors/imdb-rt-skipgram-300d.bin" --embedding-mode non-static)

# name, then the flags of the setting and the point
plan=()
for gold in 0 100 1000 5000 all; do
  seeds=${SEEDS_OTHER:-1}
  [ "$gold" = 1000 ] && seeds=${SEEDS_1000:-"1 2 3"}
  for s in $seeds; do
    [ "$gold" != 0 ] && plan+=("b${gold}s$s|--gold-size $gold --student-seed $s")
    [ "$gold" != all ] && plan+=("c${gold}s$s|--gold-size $gold --unlabeled-rest --student-seed $s")
    plan+=("d${gold}s$s|--gold-size $gold --unlabeled-rest ${imdb[*]} --student-seed $s")
    # (e), at 1,000 gold labels only: the IMDB sentences alone as unlabeled text (a user's own
    # traffic, none of it the teacher's fine-tuning data).
    [ "$gold" = 1000 ] && plan+=("e${gold}s$s|--gold-size $gold ${imdb[*]} --student-seed $s")
    [ "$gold" = 1000 ] && plan+=("v${gold}s$s|--gold-size $gold --unlabeled-rest ${imdb[*]} ${vectors[*]} --student-seed $s")
  done
done

run() {  # NAME, then the arguments of one distill call
  local name=$1
  shift
  local cmd=("$BIN" "${common[@]}" "$@" --out "$OUT/$name")
  printf '+'; printf ' %q' "${cmd[@]}"; echo
  "${cmd[@]}" >> "$OUT/$name.log" 2>&1 || { echo "failed: see $OUT/$name.log"; exit 1; }
}

for entry in "${plan[@]}"; do
  name=${entry%%|*}
  flags=${entry#*|}
  [ -n "${RUNS:-}" ] && [[ " $RUNS " != *" $name "* ]] && continue
  [ -f "$OUT/$name/report.json" ] && { echo "done: $OUT/$name"; continue; }
  point=${name%s*}  # e.g. d100
  gold=${point:1}
  nobase=()
  case $name in c*|d*) nobase=(--no-baseline) ;; esac
  # shellcheck disable=SC2086  # the flags are words
  case $name in
    *s[2-9]) run "$name" $flags "${nobase[@]}" --transfer-from "$OUT/${point}s1" ;;
    b*) run "$name" $flags ;;
    c0s1|d0s1|e1000s1) run "$name" $flags "${nobase[@]}" ;;
    c*) run "$name" $flags "${nobase[@]}" --transfer-from "$OUT/c0s1" ;;
    d*) gold_run=$OUT/c${gold}s1
        [ "$gold" = all ] && gold_run=$OUT/balls1
        run "$name" $flags "${nobase[@]}" --transfer-from "$OUT/d0s1" --stop-after data
        run "$name" $flags "${nobase[@]}" --transfer-from "$gold_run" ;;
    # (v) labels what (d) labels: it takes the first run of (d) at its point.
    v*) run "$name" $flags --transfer-from "$OUT/d${name#v}" ;;
  esac
done
