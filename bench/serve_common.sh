# shellcheck shell=bash disable=SC2154  # build, shared and student come from the sourcing script
# Sourced by the serving benches (serve_bench.sh, serve_compare.sh, serve_budget.sh), after they
# set `build`, `student` (may be empty) and `shared`: a work folder removed on exit with the
# server, if one still runs; the bench's student; wrk's request; starting and stopping a server.
work=$(mktemp -d)
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
last_core=$(($(nproc) - 1))  # wrk's, where a bench pins it
ulimit -n "$(ulimit -Hn)"

# Without a student directory given, one is trained here: paper sizes, random embeddings, one
# epoch on SST-2 train.
if [[ -z "$student" ]]; then
  student=$work/student
  "$build/bert2bilstm" student train --task sst2 --train "$shared/data/glue/SST-2/train.tsv" \
    --dev "$shared/data/glue/SST-2/dev.tsv" --out "$student" --epochs 1 >/dev/null 2>&1
fi

# write_request SENTENCE: $work/requests.lua, a POST of {"text": SENTENCE} to /predict. A fixed
# body lets wrk build the request once: wrk shares the cores with the server, and per-request
# Lua would take CPU from it.
write_request() {
  /usr/bin/python3 - "$1" >"$work/requests.lua" <<'PY'
import json, sys
print(f"""wrk.method = "POST"
wrk.path = "/predict"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {json.dumps(json.dumps({"text": sys.argv[1]}))}""")
PY
}

# start_server COMMAND...: runs COMMAND --model $student --port 0 (COMMAND: the server program
# and its flags, or `env VAR=...` before them), sets $server and $port once it listens (exits
# with its log if it does not within 10 s), and warms it up with 2 s of wrk on the last core.
start_server() {
  "$@" --model "$student" --port 0 >"$work/port.txt" 2>"$work/serve.log" &
  server=$!
  for _ in $(seq 100); do grep -q listening "$work/port.txt" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$work/port.txt")
  if [[ -z $port ]]; then
    echo "bench: the server did not start ($*):" >&2
    cat "$work/serve.log" >&2
    exit 1
  fi
  taskset -c "$last_core" wrk -t1 -c8 -d2s -s "$work/requests.lua" "http://127.0.0.1:$port" >/dev/null
}

stop_server() {
  kill -TERM "$server"
  wait "$server" || true
  server=""
}
