#!/usr/bin/env bash
# The GPU checks, in one run on a CUDA machine (BENCHMARKS.md reports what it printed), most
# urgent first, since a session gets a few minutes of device time:
#   1. bert2bilstm built against pip's CUDA libtorch (RelWithDebInfo, -rdynamic);
#   2. `eval` and `predict --device cuda` with the real teacher on SST-2 dev, beside the CPU;
#   3. the fine-tuning exit crash: `teacher finetune --device cuda` ended with SIGSEGV after
#      writing its output on the last H100 run. A short run (2,000 rows, one epoch, then two
#      learning rates, with and without --bf16) under gdb when the machine has it, else with
#      c10's fatal-signal handler (B2B_CRASH_TRACES=1), our frames resolved by addr2line:
#      $OUT/finetune-crash*.txt;
#   3b. data-parallel fine-tuning on the GPU: 2 processes (RANK/WORLD_SIZE) on 2,000 rows;
#   4. GPU_CHECK_FULL=1: one full epoch of `teacher finetune --device cuda --bf16` beside
#      transformers (bench/finetune_reference.py), steps/s;
#   5. GPU_CHECK_LABEL=1: the whole SST-2 transfer set labeled by `distill --stop-after label`
#      at the same relative paths as on the development machine (the labels come back xz'd).
# It reads .dev/ beside the repository root (not committed):
#   .dev/debs/*.deb     Debian's libutf8proc-dev, libutf8proc2, nlohmann-json3-dev, libcli11-dev,
#                       libblas-dev and libblas3 (CBLAS, for the student runtime)
#   .dev/teacher/       ../shared/fixtures/teacher/bert-small-imdb-sst2
#   .dev/SST-2/         train.tsv and dev.tsv of ../shared/data/glue/SST-2
#   .dev/en_ewt-ud-train.conllu.xz
set -uo pipefail
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
step() { echo "== $(date +%T) $*"; }

step machine
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "cpus: $(nproc); gdb: $(command -v gdb || echo none)"
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

root=/tmp/devroot
mkdir -p $root
for f in .dev/debs/*.deb; do dpkg -x "$f" $root; done
# cblas.h is an update-alternatives link, which dpkg -x does not make; the library's soname
# must be found at run time too.
ln -sf cblas-netlib.h $root/usr/include/x86_64-linux-gnu/cblas.h
export LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu/blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
S=../shared
mkdir -p $S/data/glue $S/fixtures/teacher $S/data/pos/UD_English-EWT
cp -r .dev/SST-2 $S/data/glue/
cp -r .dev/teacher $S/fixtures/teacher/bert-small-imdb-sst2
TEACHER=$S/fixtures/teacher/bert-small-imdb-sst2
SST2=$S/data/glue/SST-2

step build
export TORCH_CUDA_ARCH_LIST=9.0
cmake -S . -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF -DCMAKE_EXE_LINKER_FLAGS=-rdynamic \
  -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
  -DCMAKE_CXX_FLAGS="-isystem $root/usr/include" -DUTF8PROC_INCLUDE_DIR=$root/usr/include \
  -DUTF8PROC_LIBRARY=$root/usr/lib/x86_64-linux-gnu/libutf8proc.a \
  -Dnlohmann_json_DIR=$root/usr/share/cmake/nlohmann_json \
  -DCBLAS_INCLUDE_DIR=$root/usr/include/x86_64-linux-gnu \
  -DCBLAS_LIBRARY=$root/usr/lib/x86_64-linux-gnu/blas/libblas.so.3 >"$OUT/cmake.txt" 2>&1 ||
  tail -30 "$OUT/cmake.txt"
time timeout 330 ninja -C /tmp/build -k 0 bert2bilstm >"$OUT/build.txt" 2>&1
grep -E "error:|FAILED" "$OUT/build.txt" | head -30
B=/tmp/build/bert2bilstm
[ -x $B ] || { step "no binary"; exit 1; }

step eval and predict on the GPU
for device in cpu cuda; do
  echo "eval --device $device: $($B eval --model $TEACHER --task sst2 --data $SST2/dev.tsv --json --device $device |
    python3 -c 'import json, sys; m = json.load(sys.stdin); print(m["correct"], "/", m["total"])')"
done
cut -f1 $SST2/dev.tsv | tail -n +2 >/tmp/dev-sentences.txt
for device in cpu cuda; do
  $B predict --model $TEACHER --device $device </tmp/dev-sentences.txt >/tmp/predict.$device.txt
  echo "predict --device $device: exit $?"
done
python3 -c "
rows = [[[float(x) for x in l.split('\t')[-2:]] for l in open(f'/tmp/predict.{d}.txt').read().split('\n')[1:] if l]
        for d in ('cpu', 'cuda')]
print(len(rows[1]), 'rows; predict cpu vs cuda, max |logit difference|:',
      max(abs(a - b) for r, s in zip(*rows) for a, b in zip(r, s)))"

# Runs one fine-tuning; on a crash, every thread's stack goes to $OUT/finetune-crash-NAME.txt.
finetune() {
  local name=$1
  shift
  local cmd=($B teacher finetune --model $TEACHER --task sst2 --dev $SST2/dev.tsv --out /tmp/ft-$name
    --reinit-classifier --device cuda --threads 16 "$@")
  step "finetune $name: ${*}"
  if command -v gdb >/dev/null; then
    timeout 240 gdb -q -batch -ex run -ex "thread apply all bt" -ex "info sharedlibrary" --args "${cmd[@]}" \
      >/tmp/gdb-$name.txt 2>&1
    tr '\r' '\n' </tmp/gdb-$name.txt | grep -v "ex/s" | grep -E "^lr|best|exited normally|exited with|SIGSEGV|signal" | head -12
    grep -q "SIGSEGV\|signal SIG" /tmp/gdb-$name.txt && cp /tmp/gdb-$name.txt "$OUT/finetune-crash-$name.txt"
  else
    B2B_CRASH_TRACES=1 timeout 240 "${cmd[@]}" >/tmp/ft-$name.out 2>/tmp/ft-$name.err
    echo "exit status $?"
    cat /tmp/ft-$name.out
    tr '\r' '\n' </tmp/ft-$name.err | grep -v "ex/s" | grep -v "frame #" | head -8
    if grep -q "frame #" /tmp/ft-$name.err; then
      # "<unknown function> + 0xOFFSET (0xADDRESS in .../bert2bilstm)": OFFSET is what
      # addr2line wants for a position-independent executable.
      while IFS= read -r line; do
        offset=$(sed -n "s|.*+ \(0x[0-9a-f]*\) (0x[0-9a-f]* in $B)|\1|p" <<<"$line")
        if [ -n "$offset" ]; then
          echo "$line  => $(addr2line -f -C -i -e $B "$offset" | paste -sd' ')"
        else
          echo "$line"
        fi
      done </tmp/ft-$name.err >"$OUT/finetune-crash-$name.txt"
    fi
  fi
  ls /tmp/ft-$name /tmp/ft-$name.work 2>&1 | tr '\n' ' '
  echo
}

head -2001 $SST2/train.tsv >/tmp/train2k.tsv
finetune short-f32 --train /tmp/train2k.tsv --lr 5e-5 --epochs 1
finetune short-two-rates-bf16 --train /tmp/train2k.tsv --lr 5e-5,3e-5 --epochs 1 --bf16

step data-parallel finetune: 2 processes on the GPU, gradients through the host over Gloo
for r in 0 1; do
  RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29531 timeout 120 $B teacher finetune \
    --model $TEACHER --task sst2 --train /tmp/train2k.tsv --dev $SST2/dev.tsv --out /tmp/ft-dp \
    --lr 5e-5 --epochs 1 --device cuda >/tmp/ft-dp.$r.out 2>/tmp/ft-dp.$r.err &
done
wait
for r in 0 1; do echo "rank $r:"; tr '\r' '\n' </tmp/ft-dp.$r.err | grep -v "^ *$" | tail -4; done

if [ "${GPU_CHECK_FULL:-0}" = 1 ]; then
  finetune full-bf16 --train $SST2/train.tsv --lr 5e-5 --epochs 1 --bf16
  step transformers, same recipe
  PYTHONUNBUFFERED=1 timeout 200 python3 bench/finetune_reference.py $TEACHER $SST2/train.tsv \
    $SST2/dev.tsv --epochs 1 --bf16 2>&1 | grep -v Warning | tail -5
fi

if [ "${GPU_CHECK_LABEL:-0}" = 1 ]; then
  step distill: label the whole transfer set on the GPU
  xz -dc .dev/en_ewt-ud-train.conllu.xz >$S/data/pos/UD_English-EWT/en_ewt-ud-train.conllu
  time timeout 240 $B distill --task sst2 --data $SST2 --teacher $TEACHER \
    --out runs/distill-sst2-full --conllu $S/data/pos/UD_English-EWT/en_ewt-ud-train.conllu \
    --label-batch 256 --device cuda --stop-after label --threads 16 2>&1 | tr '\r' '\n' | tail -8
  cp runs/distill-sst2-full/manifest.json "$OUT/"
  xz -T16 -6 -c runs/distill-sst2-full/transfer.labeled.tsv | split -b 15M - "$OUT/labeled.tsv.xz."
fi
step done
