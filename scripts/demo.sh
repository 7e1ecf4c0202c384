#!/usr/bin/env bash
# `make demo` until the built-in end-to-end demo lands: trains the paper's SST-2 student
# (gold labels, random-init embeddings) for a few epochs on the real SST-2 data in
# ../shared, evaluates it on dev and classifies a few sentences.
set -euo pipefail
bin=${1:-build/bert2bilstm}
data=${B2B_SHARED:-../shared}/data/glue/SST-2
if [[ ! -f "$data/train.tsv" ]]; then
  echo "demo: this demo trains on SST-2 from $data, which is not here."
  echo "demo: put the project's shared data beside the checkout (../shared) and rerun 'make demo'."
  exit 2
fi
out=${B2B_DEMO_OUT:-runs/demo}
echo "demo: training the BiLSTM student (H 150, F 200, Adadelta) on SST-2 train, 3 epochs"
"$bin" student train --task sst2 --train "$data/train.tsv" --dev "$data/dev.tsv" --out "$out/student" --epochs 3
echo
echo "demo: dev metrics"
"$bin" eval --model "$out/student" --data "$data/dev.tsv"
echo
echo "demo: predictions (label, probabilities, logits)"
printf '%s\n' "a gripping , beautifully acted film" "the plot is a tired mess and the jokes fall flat" \
  "not bad at all" | "$bin" predict --model "$out/student"
echo
echo "demo: student written to $out/student"
