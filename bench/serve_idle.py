#!/usr/bin/python3
"""Normal clients beside many half-sent connections (issue 35's slow-client scenario).

Opens N connections to a running server that each send half a request head and go quiet,
then sends 1,000 requests from 8 kept-alive clients (125 each, one SST-2 sentence, the head
and body in one write) and prints one JSON line: the clients' p50/p99 latency, failures, and
the server's threads and resident memory while the half-sent connections are open.

    /usr/bin/python3 bench/serve_idle.py PORT SERVER_PID [N]
"""
import http.client
import json
import resource
import socket
import sys
import threading
import time

port, pid = int(sys.argv[1]), int(sys.argv[2])
half_sent = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, half_sent + 1000), hard))


def status(field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


resident_before = status("VmRSS")
idle, refused = [], 0
start = time.monotonic()
for _ in range(half_sent):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Ty")
        idle.append(s)
    except OSError:
        refused += 1
opened = time.monotonic() - start
time.sleep(0.5)  # let the server take them in

body = json.dumps({"text": "a gripping , funny and moving film about people who make movies"})
latencies, failures, lock = [], [0], threading.Lock()


def client():
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(125):
        t = time.monotonic()
        try:
            connection.request("POST", "/predict", body=body,
                               headers={"Content-Type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            ok = answer.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            latencies.append((time.monotonic() - t) * 1000)
            failures[0] += 0 if ok else 1


threads = [threading.Thread(target=client) for _ in range(8)]
for t in threads:
    t.start()
peak_threads, peak_rss = 0, 0
while any(t.is_alive() for t in threads):
    peak_threads = max(peak_threads, status("Threads"))
    peak_rss = max(peak_rss, status("VmRSS"))
    time.sleep(0.05)
for t in threads:
    t.join()
latencies.sort()
print(json.dumps({
    "half_sent": len(idle), "refused": refused, "open_seconds": round(opened, 2),
    "p50_ms": round(latencies[len(latencies) // 2], 2),
    "p99_ms": round(latencies[len(latencies) * 99 // 100], 2),
    "failures": failures[0], "threads": peak_threads,
    "resident_mb_before": round(resident_before / 1024), "resident_mb": round(peak_rss / 1024),
}))
for s in idle:
    s.close()
