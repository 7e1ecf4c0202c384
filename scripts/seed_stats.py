#!/usr/bin/python3
"""Dev accuracy of distill runs over seeds: mean, sample standard deviation, range.

    /usr/bin/python3 scripts/seed_stats.py PREFIX [PREFIX ...]

Each PREFIX names runs PREFIX1, PREFIX2, ... (e.g. runs/int8/fp32-s); every run's
report.json gives its models' dev accuracy. With two prefixes, the second minus the first is
given seed for seed as well (the seeds both have).
"""
import glob
import json
import re
import statistics as st
import sys


def runs(prefix):
    out = {}
    for d in glob.glob(glob.escape(prefix) + "[0-9]*"):
        m = re.fullmatch(re.escape(prefix) + r"(\d+)", d)
        if not m:
            continue
        try:
            report = json.load(open(d + "/report.json"))
        except OSError:
            continue  # not finished yet
        out[int(m.group(1))] = {r["role"]: 100 * r["metrics"]["accuracy"] for r in report["models"]}
    return dict(sorted(out.items()))


def summary(values):
    if len(values) < 2:
        return " ".join(f"{v:.2f}" for v in values)
    return (f"{st.mean(values):.2f} ± {st.stdev(values):.2f} ({min(values):.2f}-{max(values):.2f}), "
            f"{len(values)} seeds")


prefixes = sys.argv[1:]
if not prefixes:
    sys.exit(__doc__)
found = [runs(p) for p in prefixes]
for prefix, by_seed in zip(prefixes, found):
    print(prefix)
    for seed, models in by_seed.items():
        print(f"  seed {seed}: " + ", ".join(f"{role} {acc:.2f}" for role, acc in models.items()))
    for role in sorted({r for models in by_seed.values() for r in models}):
        print(f"  {role}: {summary([m[role] for m in by_seed.values() if role in m])}")
if len(found) == 2:
    a, b = found
    seeds = sorted(set(a) & set(b))
    diffs = [b[s]["distilled"] - a[s]["distilled"] for s in seeds if "distilled" in a[s] and "distilled" in b[s]]
    if diffs:
        print(f"{prefixes[1]} - {prefixes[0]}, distilled, seed for seed: "
              + " ".join(f"{d:+.2f}" for d in diffs) + f"; means differ by {st.mean(diffs):+.2f}")
