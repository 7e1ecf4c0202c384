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
# of each setting labels, the others take its `unlabeled` stage. Every run resumes where it was
# killed: rerun the script. Planned for about ten hours of two cores; RUNS=... picks a subset,
# e.g. RUNS="d1000s1 d1000s2" (names below). THREADS (default 2) per run; SEEDS_1000 (default
# "1 2 3") the student seeds at 1,000 gold labels.
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
  seeds="1"
  [ "$gold" = 1000 ] && seeds=${SEEDS_1000:-"1 2 3"}
  for s in $seeds; do
    [ "$gold" != 0 ] && plan+=("b${gold}s$s|--gold-size $gold --student-seed $s")
    plan+=("c${gold}s$s|--gold-size $gold --unlabeled-rest --student-seed $s")
    plan+=("d${gold}s$s|--gold-size $gold --unlabeled-rest ${imdb[*]} --student-seed $s")
    # (e), at 1,000 gold labels only: the IMDB sentences alone as unlabeled text (a user's own
    # traffic, none of it the teacher's fine-tuning data).
    [ "$gold" = 1000 ] && plan+=("e${gold}s$s|--gold-size $gold ${imdb[*]} --student-seed $s")
    [ "$gold" = 1000 ] && plan+=("v${gold}s$s|--gold-size $gold --unlabeled-rest ${imdb[*]} ${vectors[*]} --student-seed $s")
  done
done

# The first run of each setting labels its text; the rest take it.
first_c="" first_d="" first_e=""
for entry in "${plan[@]}"; do
  name=${entry%%|*}
  flags=${entry#*|}
  [ -n "${RUNS:-}" ] && [[ " $RUNS " != *" $name "* ]] && continue
  # Another seed of a point takes the point's first run (its gold rows' labels too); another
  # point of a setting takes the setting's first run (its unlabeled text's labels).
  from=()
  case $name in
    *s[2-9]) from=(--transfer-from "$OUT/${name%s*}s1") ;;
    c*) if [ -n "$first_c" ]; then from=(--transfer-from "$first_c"); else first_c=$OUT/$name; fi ;;
    d*) if [ -n "$first_d" ]; then from=(--transfer-from "$first_d"); else first_d=$OUT/$name; fi ;;
    e*) if [ -n "$first_e" ]; then from=(--transfer-from "$first_e"); else first_e=$OUT/$name; fi ;;
    # (v) labels what (d) labels: it takes the first run of (d) at its point.
    v*) from=(--transfer-from "$OUT/d${name#v}") ;;
  esac
  # shellcheck disable=SC2086  # the flags are words
  cmd=("$BIN" "${common[@]}" $flags "${from[@]}" --out "$OUT/$name")
  printf '+'; printf ' %q' "${cmd[@]}"; echo
  "${cmd[@]}" > "$OUT/$name.log" 2>&1 || { echo "failed: see $OUT/$name.log"; exit 1; }
done
