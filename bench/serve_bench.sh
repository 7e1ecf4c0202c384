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
work=$(mktemp -d)
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
if [[ -z "$student" ]]; then
  student=$work/student
  "$build/bert2bilstm" student train --task sst2 --train "$shared/data/glue/SST-2/train.tsv" \
    --dev "$shared/data/glue/SST-2/dev.tsv" --out "$student" --epochs 1 >/dev/null 2>&1
fi

# Every request is the first SST-2 dev sentence of the dev set's average length in tokens
# (20). A fixed body lets wrk build the request once: wrk shares the cores with the server,
# and per-request Lua would take CPU from it.
/usr/bin/python3 - "$shared/data/glue/SST-2/dev.tsv" >"$work/requests.lua" <<'PY'
import json, sys
rows = [l.split("\t")[0] for l in open(sys.argv[1], encoding="utf-8").readlines()[1:]]
average = round(sum(len(r.split()) for r in rows) / len(rows))
sentence = next(r for r in rows if len(r.split()) == average)
print(f"""wrk.method = "POST"
wrk.path = "/predict"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {json.dumps(json.dumps({"text": sentence}))}""")
PY

"$build/bert2bilstm-serve" --model "$student" --port 0 "${@:3}" >"$work/port.txt" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/port.txt" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$work/port.txt")
wrk -t1 -c8 -d2s -s "$work/requests.lua" "http://127.0.0.1:$port" >/dev/null  # warm-up

echo "bench: serve, wrk $seconds s per row, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, $(nproc) cores"
printf "%-12s %12s %10s %10s %8s\n" "connections" "requests/s" "p50 ms" "p99 ms" "errors"
for connections in 1 8 64; do
  wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/requests.lua" \
    "http://127.0.0.1:$port" >"$work/wrk.txt"
  /usr/bin/python3 bench/wrk_summary.py "$work/wrk.txt" |
    awk -v c="$connections" '{printf "%-12s %12.0f %10.2f %10.2f %8d\n", c, $1, $2, $3, $4}'
done
kill -TERM "$server"
wait "$server" || true
server=""
echo "($(tail -1 "$work/serve.log"))"
