#!/usr/bin/env bash
# `make fuzz`: builds the safetensors header fuzz target with clang's libFuzzer (and
# AddressSanitizer) and runs it for FUZZ_SECONDS (default 60), starting from a valid header.
set -euo pipefail
seconds=${FUZZ_SECONDS:-60}
out=${1:-build/fuzz}
mkdir -p "$out/corpus"
clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -Isrc \
  fuzz/safetensors_header_fuzz.cpp src/io/safetensors_header.cpp src/util/error.cpp \
  -o "$out/safetensors_header_fuzz"
# Seed: a small valid file.
header='{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'
printf "$(printf '\\x%02x' ${#header})\x00\x00\x00\x00\x00\x00\x00%s" "$header" > "$out/corpus/seed"
head -c 16 /dev/zero >> "$out/corpus/seed"
"$out/safetensors_header_fuzz" -max_total_time="$seconds" -max_len=4096 "$out/corpus"
