#!/usr/bin/env python3
"""The table of bench/peers.sh: medians (min-max) per target and job, and issue 10's ratios.

Usage: peers-table.py VALUES TARGETS JOBS
VALUES holds one "target job run value" line per fio run; TARGETS and JOBS are comma-separated
(the columns' and rows' order). Prints Markdown.
"""
import statistics
import sys

UNITS = {"seqwrite": "MiB/s", "seqread": "MiB/s"}
# (name, numerator, denominator, jobs, goal)
TARGETS = [
    ("2. mirror / two writers", "mirror", "writers", ["seqwrite", "randwrite16"], lambda j: 0.8),
    ("3. ggate-server NBD / nbdkit", "ggate", "nbdkit", None,
     lambda j: 1.2 if j.endswith("16") else 1.0),
    ("4. attachment / ggate-server NBD", "attach", "ggate", None, lambda j: 0.8),
    # context for target 2, no goal: what an NBD server alone (no second copy, no network hop)
    # reaches against the two-writers limit, and the mirror against that server
    ("context: nbdkit (no replication) / two writers", "nbdkit", "writers",
     ["seqwrite", "randwrite16"], None),
    ("context: mirror / nbdkit", "mirror", "nbdkit", ["seqwrite", "randwrite16"], None),
]


def main(path, targets, jobs):
    values = {}
    with open(path) as f:
        for line in f:
            target, job, _run, value = line.split()
            values.setdefault((target, job), []).append(float(value))
    med = {k: statistics.median(v) for k, v in values.items()}

    def cell(target, job):
        v = values.get((target, job))
        if not v:
            return "-"
        if len(v) == 1:
            return "%.0f" % v[0]
        return "%.0f (%.0f-%.0f)" % (med[(target, job)], min(v), max(v))

    print()
    print("| job | unit | " + " | ".join(targets) + " |")
    print("|---|---|" + "---|" * len(targets))
    for job in jobs:
        print("| %s | %s | %s |" % (job, UNITS.get(job, "IOPS"),
                                   " | ".join(cell(t, job) for t in targets)))
    print()
    print("Ratios of medians (same run):")
    print()
    for name, num, den, only, goal in TARGETS:
        if num not in targets or den not in targets:
            continue
        parts = []
        for job in jobs:
            if only and job not in only:
                continue
            if (num, job) not in med or (den, job) not in med or med[(den, job)] == 0:
                continue
            r = med[(num, job)] / med[(den, job)]
            if goal is None:
                parts.append("%s %.2fx" % (job, r))
                continue
            g = goal(job)
            parts.append("%s %.2fx %s (>= %.1f)" % (job, r, "PASS" if r >= g else "BELOW", g))
        if parts:
            print("- %s: %s" % (name, "; ".join(parts)))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(","))
