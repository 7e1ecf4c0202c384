#!/usr/bin/env bash
# Resident memory of a serving process: after it starts and after 3 s of wrk at 64
# connections. Usage: bench/serve_memory.sh PROGRAM STUDENT_DIR [serve flags...]
#   PROGRAM: build/bert2bilstm-serve, or build/bert2bilstm (run as `bert2bilstm serve`)
set -euo pipefail
program=$1
student=$2
work=$(mktemp -d)
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
command=("$program")
[[ "$program" == *-serve ]] || command+=(serve)
"${command[@]}" --model "$student" --port 0 "${@:3}" >"$work/port.txt" 2>"$work/log" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/port.txt" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$work/port.txt")
idle=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
cat >"$work/request.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"text": "a gripping , beautifully acted film that stays with you long after"}'
LUA
wrk -t1 -c64 -d3s -s "$work/request.lua" "http://127.0.0.1:$port/predict" >/dev/null
loaded=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
echo "${command[*]} ${*:3}: resident $((idle / 1024)) MB after start, $((loaded / 1024)) MB after load, peak $((peak / 1024)) MB"
