#!/usr/bin/env bash
# The event-driven server core (issue 35) against the thread-per-connection server it replaced
# (cpp-httplib, commit db7f412, built once into $build/bench-cache), in one run, on the same
# student and the same request: wrk (pinned to the last core) at 64 and 1,000 connections,
# then 1,000 requests from 8 clients beside 10,000 half-sent connections (bench/serve_idle.py).
# Usage: bench/serve_compare.sh [build] [student-dir]
set -euo pipefail
build=${1:-build}
student=${2:-}
shared=${B2B_SHARED:-../shared}
seconds=${B2B_SERVE_SECONDS:-10}
before=db7f412  # the last commit with the cpp-httplib server

# shellcheck source=bench/serve_common.sh
source "$(dirname "$0")/serve_common.sh"

# Today's server, built once from its commit (the library without libtorch, the server only).
cache=$build/bench-cache/serve-$before
if [[ ! -x $cache/bert2bilstm-serve ]]; then
  echo "bench: building the server of $before once into $cache (a few minutes)"
  rm -rf "$cache.src" && mkdir -p "$cache.src" "$cache"
  git archive "$before" | tar -x -C "$cache.src"
  cmake -S "$cache.src" -B "$cache.src/build" -DCMAKE_BUILD_TYPE=Release -DB2B_WITH_TORCH=OFF \
    -DBUILD_TESTING=OFF > "$cache.log" 2>&1
  cmake --build "$cache.src/build" --target bert2bilstm-serve -j "$(nproc)" >> "$cache.log" 2>&1
  cp "$cache.src/build/bert2bilstm-serve" "$cache/" && rm -rf "$cache.src"
fi

write_request "a gripping , funny and moving film about people who make movies"

echo "bench: serve, event loop against thread per connection ($before), wrk -t1 pinned to core $last_core, $seconds s a row, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, $(nproc) cores"
printf "%-26s %12s %12s %10s %10s %8s\n" "server" "connections" "requests/s" "p50 ms" "p99 ms" "errors"
for which in before now; do
  program=$build/bert2bilstm-serve
  [[ $which == before ]] && program=$cache/bert2bilstm-serve
  start_server "$program"
  for connections in 64 1000; do
    taskset -c "$last_core" wrk -t1 -c"$connections" -d"${seconds}s" --latency \
      -s "$work/requests.lua" "http://127.0.0.1:$port" >"$work/wrk.txt"
    echo "$which $connections $(/usr/bin/python3 bench/wrk_summary.py "$work/wrk.txt")" \
      >>"$work/rows.txt"
    tail -1 "$work/rows.txt" | awk '{printf "%-26s %12s %12.0f %10.2f %10.2f %8d\n", ($1=="now"?"event loop":"thread per connection"), $2, $3, $4, $5, $6}'
  done
  /usr/bin/python3 bench/serve_idle.py "$port" "$server" 10000 >"$work/idle-$which.json" || echo '{}' >"$work/idle-$which.json"
  stop_server
done
/usr/bin/python3 - "$work/rows.txt" "$work/idle-before.json" "$work/idle-now.json" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    which, connections, rate, p50, p99, errors = line.split()
    rows[which, int(connections)] = (float(rate), float(p99))
ratio = rows["now", 64][0] / rows["before", 64][0]
print(f"64 connections: {ratio:.2f}x the requests/s of the thread-per-connection server "
      f"(target >= 1.1x), p99 {rows['now', 64][1]:.2f} ms (target <= 10); "
      f"1,000 connections: p99 {rows['now', 1000][1]:.2f} ms (target <= 50)")
for which, path in (("thread per connection", sys.argv[2]), ("event loop", sys.argv[3])):
    r = json.load(open(path))
    if not r:
        print(f"{which}: the half-sent scenario did not finish"); continue
    print(f"{which}, beside {r['half_sent']} half-sent connections: 1,000 requests from 8 "
          f"clients p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['failures']} failed; server "
          f"{r['threads']} threads, {r['resident_mb']} MB resident ({r['resident_mb_before']} MB "
          f"before the connections)")
PY
