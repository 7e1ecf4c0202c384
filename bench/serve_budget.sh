#!/usr/bin/env bash
# Where the CPU goes at 1,000 connections (issue 35's p99 <= 50 ms): the server and wrk on one
# machine, as in bench/serve_compare.sh (the same 12-token request, wrk's thread pinned to the
# last core, default server flags unless given). Prints requests/s and p99; the CPU per request
# of the server (from /proc) and of wrk (bash's `time`) over the run; the model alone on one
# thread at the server's batch (64), on the same sentence (the Python package's predict: no
# HTTP, but its tokenizing and Python's call are in it); and
# what Little's law asks: wrk keeps every connection's request out, so the mean latency is
# connections / requests/s, and p99 <= 50 ms needs more than 20,000 requests/s.
# Usage: bench/serve_budget.sh [build] [student-dir] [server flags...]
# (without a student: trains one, one epoch); B2B_SERVE_PRELOAD=LIB runs the server alone with
# LD_PRELOAD=LIB (another allocator, say).
set -euo pipefail
export LC_ALL=C  # bash's `time` and wrk print decimal points
build=${1:-build}
student=${2:-}
shared=${B2B_SHARED:-../shared}
seconds=${B2B_SERVE_SECONDS:-10}
connections=1000
flags="${*:3}"
if [[ -n ${B2B_SERVE_PRELOAD:-} && ! -r $B2B_SERVE_PRELOAD ]]; then
  echo "serve_budget.sh: B2B_SERVE_PRELOAD: no such library: $B2B_SERVE_PRELOAD" >&2
  exit 2
fi
sentence="a gripping , funny and moving film about people who make movies"
# shellcheck source=bench/serve_common.sh
source "$(dirname "$0")/serve_common.sh"
write_request "$sentence"

# The model alone first, while nothing else runs.
model_us=$(PYTHONPATH=$build/python /usr/bin/python3 - "$student" "$sentence" <<'PY'
import sys, time
import bert2bilstm
model = bert2bilstm.Classifier(sys.argv[1], threads=1)
batch = [sys.argv[2]] * 64
for _ in range(20):
    model.predict(batch)
n, start = 0, time.perf_counter()
while time.perf_counter() - start < 3:
    model.predict(batch)
    n += len(batch)
print(f"{(time.perf_counter() - start) / n * 1e6:.1f}")
PY
)

preload=()
[[ -n ${B2B_SERVE_PRELOAD:-} ]] && preload=(env "LD_PRELOAD=$B2B_SERVE_PRELOAD")
start_server "${preload[@]}" "$build/bert2bilstm-serve" "${@:3}"

ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }  # user, system: clock ticks
read -r user_before system_before < <(ticks "$server")
TIMEFORMAT='%U %S'  # wrk's user and system seconds, from bash's `time`
{ time taskset -c "$last_core" wrk -t1 -c"$connections" -d"${seconds}s" --latency \
    -s "$work/requests.lua" "http://127.0.0.1:$port" >"$work/wrk.txt" 2>"$work/wrk.err"; } 2>"$work/time.txt"
read -r user_after system_after < <(ticks "$server")
server_user=$((user_after - user_before)) server_system=$((system_after - system_before))
client_seconds=$(awk '{print $1 + $2}' "$work/time.txt")
read -r rate p50 p99 errors < <(/usr/bin/python3 bench/wrk_summary.py "$work/wrk.txt")
hz=$(getconf CLK_TCK)
echo "bench: serve${flags:+ $flags}${B2B_SERVE_PRELOAD:+ (LD_PRELOAD=$B2B_SERVE_PRELOAD)} at $connections connections, wrk -t1 pinned to core $last_core, $seconds s, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, $(nproc) cores"
/usr/bin/python3 - "$rate" "$p50" "$p99" "$errors" "$server_user $server_system" "$client_seconds" "$hz" \
  "$seconds" "$model_us" "$connections" "$(nproc)" <<'PY'
import sys
rate, p50, p99 = map(float, sys.argv[1:4])
errors = int(sys.argv[4])
server_user, server_system = map(int, sys.argv[5].split())
client_seconds, hz = float(sys.argv[6]), int(sys.argv[7])
seconds, model_us, connections, cores = float(sys.argv[8]), float(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11])
requests = rate * seconds
server_us = (server_user + server_system) / hz / requests * 1e6
kernel_us = server_system / hz / requests * 1e6
client_us = client_seconds / requests * 1e6
needed = connections / 0.050
print(f"{rate:,.0f} requests/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, {errors} errors")
print(f"CPU per request: server {server_us:.1f} us (the model alone at batch 64 on one thread: "
      f"{model_us:.1f} us a sentence; the rest {server_us - model_us:.1f} us, of it {kernel_us:.1f} in "
      f"the kernel), wrk {client_us:.1f} us")
print(f"Little's law: mean latency = {connections} / requests/s = {connections / rate * 1e3:.1f} ms; "
      f"p99 <= 50 ms needs more than {needed:,.0f} requests/s, that is at most "
      f"{cores / needed * 1e6:.1f} us of CPU per request on {cores} cores for the server and wrk "
      f"together (today {server_us + client_us:.1f}); with the model's {model_us:.1f} and wrk's "
      f"{client_us:.1f}, {cores / needed * 1e6 - model_us - client_us:.1f} us would remain for the "
      f"server's HTTP, JSON, hand-offs between threads and the kernel's TCP (today {server_us - model_us:.1f})")
PY
