#!/usr/bin/env bash
# `bert2bilstm-serve` (the server without libtorch; `bert2bilstm serve` is the same code) under
# load: wrk against 127.0.0.1 at 1, 8 and 64 connections, 10 s each, one SST-2
# dev sentence per request. Usage: bench/serve_bench.sh [build] [student-dir]
# Without a student directory it trains one (paper sizes, random embeddings, one epoch).
set -euo pipefail
build=${1:-build}
student=${2:-}
shared=${B2B_SHARED:-../shared}
seconds=${B2B_SERVE_SECONDS:-10}
# shellcheck source=bench/serve_common.sh
source "$(dirname "$0")/serve_common.sh"

# Every request is the first SST-2 dev sentence of the dev set's average length in tokens (20).
write_request "$(/usr/bin/python3 - "$shared/data/glue/SST-2/dev.tsv" <<'PY'
import sys
rows = [l.split("\t")[0] for l in open(sys.argv[1], encoding="utf-8").readlines()[1:]]
average = round(sum(len(r.split()) for r in rows) / len(rows))
print(next(r for r in rows if len(r.split()) == average))
PY
)"
start_server "$build/bert2bilstm-serve" "${@:3}"

echo "bench: serve, wrk $seconds s per row, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, $(nproc) cores"
printf "%-12s %12s %10s %10s %8s\n" "connections" "requests/s" "p50 ms" "p99 ms" "errors"
for connections in 1 8 64; do
  wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/requests.lua" \
    "http://127.0.0.1:$port" >"$work/wrk.txt"
  /usr/bin/python3 bench/wrk_summary.py "$work/wrk.txt" |
    awk -v c="$connections" '{printf "%-12s %12.0f %10.2f %10.2f %8d\n", c, $1, $2, $3, $4}'
done
stop_server
echo "($(tail -1 "$work/serve.log"))"
