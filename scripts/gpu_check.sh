#!/usr/bin/env bash
# The GPU checks, in one run on a CUDA machine (BENCHMARKS.md reports what it printed):
#   1. bert2bilstm built against pip's CUDA libtorch;
#   2. the whole SST-2 transfer set labeled on the GPU by `distill --stop-after label`, at the
#      same relative paths as on the development machine, so that a `distill` there with the
#      same flags finds the label stage done and goes on with the CPU stages;
#   3. one epoch of `teacher finetune --device cuda --bf16` and the same recipe in transformers
#      (bench/finetune_reference.py), steps/s side by side; if it crashes (it ended with
#      SIGSEGV after writing its output on the last H100 run), every thread's stack, with our
#      frames resolved by addr2line, goes to $OUT/finetune-crash.txt.
# It reads .dev/ beside the repository root (not committed):
#   .dev/debs/*.deb     Debian's libutf8proc-dev, libutf8proc2, nlohmann-json3-dev, libcli11-dev
#   .dev/teacher/       ../shared/fixtures/teacher/bert-small-imdb-sst2
#   .dev/SST-2/         train.tsv and dev.tsv of ../shared/data/glue/SST-2
#   .dev/en_ewt-ud-train.conllu.xz
# and writes logs, the manifest and the labeled transfer set (xz, in 15 MB parts) under $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
step() { echo "== $(date +%T) $*"; }

step machine
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "cpus: $(nproc)"
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

root=/tmp/devroot
mkdir -p $root
for f in .dev/debs/*.deb; do dpkg -x "$f" $root; done
S=../shared
mkdir -p $S/data/glue $S/fixtures/teacher $S/data/pos/UD_English-EWT
cp -r .dev/SST-2 $S/data/glue/
cp -r .dev/teacher $S/fixtures/teacher/bert-small-imdb-sst2
xz -dc .dev/en_ewt-ud-train.conllu.xz >$S/data/pos/UD_English-EWT/en_ewt-ud-train.conllu
TEACHER=$S/fixtures/teacher/bert-small-imdb-sst2
SST2=$S/data/glue/SST-2

step build
export TORCH_CUDA_ARCH_LIST=9.0
cmake -S . -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF -DCMAKE_EXE_LINKER_FLAGS=-rdynamic \
  -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
  -DCMAKE_CXX_FLAGS="-isystem $root/usr/include" -DUTF8PROC_INCLUDE_DIR=$root/usr/include \
  -DUTF8PROC_LIBRARY=$root/usr/lib/x86_64-linux-gnu/libutf8proc.a >"$OUT/cmake.txt" 2>&1 ||
  tail -30 "$OUT/cmake.txt"
time timeout 330 ninja -C /tmp/build -k 0 bert2bilstm >"$OUT/build.txt" 2>&1
grep -E "error:|FAILED" "$OUT/build.txt" | head -30
B=/tmp/build/bert2bilstm

if [ -x $B ]; then
  step distill: label the whole transfer set on the GPU
  time timeout 240 $B distill --task sst2 --data $SST2 --teacher $TEACHER \
    --out runs/distill-sst2-full --conllu $S/data/pos/UD_English-EWT/en_ewt-ud-train.conllu \
    --label-batch 256 --device cuda --stop-after label --threads 16 2>&1 | tr '\r' '\n' | tail -8
  cp runs/distill-sst2-full/manifest.json "$OUT/"
  xz -T16 -6 -c runs/distill-sst2-full/transfer.labeled.tsv | split -b 15M - "$OUT/labeled.tsv.xz."

  step teacher finetune, cuda bf16
  time B2B_CRASH_TRACES=1 timeout 200 $B teacher finetune --model $TEACHER --task sst2 \
    --train $SST2/train.tsv --dev $SST2/dev.tsv --out /tmp/finetuned --lr 5e-5 --epochs 1 \
    --reinit-classifier --device cuda --bf16 --threads 16 >/tmp/finetune.out 2>/tmp/finetune.err
  echo "exit status $?"
  cat /tmp/finetune.out
  tr '\r' '\n' </tmp/finetune.err | grep -v "^lr .*ex/s" | grep -v "frame #" | head -8
  if grep -q "frame #" /tmp/finetune.err; then
    # "<unknown function> + 0xOFFSET (0xADDRESS in .../bert2bilstm)": OFFSET is what
    # addr2line wants for a position-independent executable.
    while IFS= read -r line; do
      offset=$(sed -n "s|.*+ \(0x[0-9a-f]*\) (0x[0-9a-f]* in $B)|\1|p" <<<"$line")
      if [ -n "$offset" ]; then
        echo "$line  => $(addr2line -f -C -i -e $B "$offset" | paste -sd' ')"
      else
        echo "$line"
      fi
    done </tmp/finetune.err >"$OUT/finetune-crash.txt"
    echo "crash stacks: finetune-crash.txt"
  fi
fi

step transformers, same recipe
PYTHONUNBUFFERED=1 timeout 200 python3 bench/finetune_reference.py $TEACHER $SST2/train.tsv \
  $SST2/dev.tsv --epochs 1 --bf16 2>&1 | grep -v Warning | tail -5
step done
