#!/usr/bin/env bash
# `make fuzz`: builds every libFuzzer target in fuzz/ with clang (AddressSanitizer and UBSan
# on the libraries too, no libtorch), seeds each corpus from ../shared and hand-made cases,
# and runs each target for FUZZ_SECONDS (default 60), FUZZ_JOBS at a time (default: the
# cores). Prints one table row per target: executions, corpus size, crashes. Exits non-zero
# when a target crashed; the crashing inputs are kept under BUILD/artifacts/TARGET/.
#   fuzz/run.sh [BUILD]          BUILD defaults to build/fuzz
#   FUZZ_TARGETS="dataset_fuzz conllu_fuzz" limits the run to those targets.
set -euo pipefail
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
build=${1:-build/fuzz}
shared=${B2B_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DB2B_WITH_TORCH=OFF -DB2B_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 > "$build.configure.log"
cmake --build "$build" -j"$(nproc)" > "$build.build.log" || { tail -30 "$build.build.log"; exit 1; }
"$build/fuzz/b2b_fuzz_seeds" "$build/seeds" "$shared"

targets=${FUZZ_TARGETS:-$(cd "$build/fuzz" && ls -- *_fuzz)}
export B2B_FUZZ_VOCAB="$shared/data/bert/vocab.txt"
run_one() {  # target: fuzz a copy of the seeds into the target's corpus
  local target=$1 build=$2 seconds=$3
  mkdir -p "$build/corpus/$target" "$build/artifacts/$target"
  cp -n "$build/seeds/$target/"* "$build/corpus/$target/" 2> /dev/null || true
  # -rss_limit_mb: a reader that balloons on a small input is a finding too.
  "$build/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target/" \
    "$build/corpus/$target" > "$build/$target.log" 2>&1 || true
}
export -f run_one
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run_one {} "$0" "$1"' "$build" "$seconds"

echo "| target | seconds | executions | corpus (files) | crashes |"
echo "|---|---|---|---|---|"
failed=0
for target in $targets; do
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$target.log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(find "$build/corpus/$target" -type f | wc -l)
  crashes=$(find "$build/artifacts/$target" -type f | wc -l)
  echo "| $target | $seconds | ${runs:-?} | $corpus | $crashes |"
  if [[ "$crashes" != 0 ]]; then failed=1; fi
done
if [[ "$failed" != 0 ]]; then
  echo "crashing inputs: $build/artifacts/ (logs: $build/*.log)" >&2
  exit 1
fi
