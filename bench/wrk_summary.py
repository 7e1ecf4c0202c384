#!/usr/bin/python3
"""One line from wrk's --latency output: requests/s, p50 ms, p99 ms and errors (socket errors
plus non-2xx/3xx answers), space-separated.

    /usr/bin/python3 bench/wrk_summary.py WRK_OUTPUT
"""
import re
import sys

text = open(sys.argv[1]).read()


def ms(label):
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(m.group(1)) if m else 0
print(rate, ms("50"), ms("99"), errors)
