#!/usr/bin/env bash
# Runs the Mirrorgate JMH benchmarks and prints the protocol/local ratio table.
#
#   bench/run.sh [--no-build] [--quick] [--nbd] [--name NAME] [--table FILE] [-- JMH-ARGS...]
#
#   --no-build   use bench/target/bench.jar as it is (default: mvn -B -q -DskipTests package)
#   --quick      queue depth 16 only, warmup 1x2s, measurement 2x3s (about 4 minutes)
#   --nbd        add NbdBenchmark to the default LocalDeviceBenchmark + GgateProtocolBenchmark
#   --name NAME  results go to bench/results/NAME.json (default: UTC date and time)
#   --table FILE only print the table for an existing results file (no run)
#   JMH-ARGS     passed to JMH as they are, e.g. -- -p queueDepth=1 -prof gc
#
# Every benchmark runs with directIo=true (O_DIRECT: the headline baseline, the one the target
# line judges) and directIo=false (the page cache, printed for reference); -- -p directIo=true
# runs only the first.
#
# The image files (1 GiB per fork, deleted at the end of the fork) go to $MIRRORGATE_BENCH_DIR
# (default: /var/tmp), which must not be a tmpfs. A full default run is 32 forks of about 30 s:
# about 16 minutes (24 with --nbd); the run is killed after $MIRRORGATE_BENCH_TIMEOUT seconds
# (default 1800).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=1
quick=0
pattern='io\.mirrorgate\.bench\.(LocalDeviceBenchmark|GgateProtocolBenchmark)\.'
name=$(date -u +%Y%m%dT%H%M%SZ)
table_only=
jmh_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --quick) quick=1 ;;
    --nbd) pattern='io\.mirrorgate\.bench\.(LocalDeviceBenchmark|GgateProtocolBenchmark|NbdBenchmark)\.' ;;
    --name) name=${2:?--name needs a value}; shift ;;
    --table) table_only=${2:?--table needs a results file}; shift ;;
    --) shift; jmh_extra=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Prints operation, queue depth, MiB/s of each target and the ratios to the local device.
print_table() {
  python3 - "$1" <<'PY'
import json, sys

SIZES = {"seqWrite": 1 << 20, "seqRead": 1 << 20, "randWrite": 4096, "randRead": 4096}
TARGETS = [("LocalDeviceBenchmark", "local"), ("GgateProtocolBenchmark", "ggate"),
           ("NbdBenchmark", "nbd")]
GOAL = 0.70

rows = {}
for r in json.load(open(sys.argv[1])):
    cls, op = r["benchmark"].rsplit(".", 2)[-2:]
    if r["primaryMetric"]["scoreUnit"] != "ops/s" or op not in SIZES:
        continue
    qd = int(r["params"]["queueDepth"])
    io = "direct" if r["params"].get("directIo") == "true" else "cached"
    rows.setdefault((op, qd, io), {})[cls] = r["primaryMetric"]["score"] * SIZES[op] / (1 << 20)

present = [(c, label) for c, label in TARGETS if any(c in v for v in rows.values())]
head = f"{'operation':<10} {'qd':>3} {'io':<6} " + " ".join(f"{label + ' MiB/s':>12}" for _, label in present)
others = [(c, label) for c, label in present if c != "LocalDeviceBenchmark"]
head += "".join(f" {label + '/local':>11}" for _, label in others) + "  target"
print(head)
print("-" * len(head))
verdicts = []
order = list(SIZES)
IO_ORDER = ["direct", "cached"]  # the headline baseline first
for (op, qd, io) in sorted(rows, key=lambda k: (IO_ORDER.index(k[2]), order.index(k[0]), k[1])):
    v = rows[(op, qd, io)]
    line = f"{op:<10} {qd:>3} {io:<6} " + " ".join(
        f"{v[c]:>12.1f}" if c in v else f"{'-':>12}" for c, _ in present)
    status = ""
    for c, label in others:
        if c in v and "LocalDeviceBenchmark" in v:
            ratio = v[c] / v["LocalDeviceBenchmark"]
            line += f" {ratio:>10.0%} "
            if c == "GgateProtocolBenchmark" and op.startswith("seq"):
                status = "PASS" if ratio >= GOAL else "BELOW"
                verdicts.append((op, qd, io, ratio, status))
        else:
            line += f" {'-':>10} "
    print(line + " " + status)
print()
# The target is judged against the local device as an operator's disk runs it: O_DIRECT on both
# sides ("direct"). The page-cache ("cached") baseline runs at memory-copy speed; its verdict is
# printed for reference only.
LABELS = {"direct": ("target", "O_DIRECT baseline: local device and exported device both with"
                     " O_DIRECT"),
          "cached": ("reference", "page-cache baseline, not the target: buffered local device at"
                     " memory-copy speed")}
for io in sorted({v[2] for v in verdicts}, key=IO_ORDER.index):
    best = max(v[1] for v in verdicts if v[2] == io)
    judged = [v for v in verdicts if v[1] == best and v[2] == io]
    overall = "PASS" if all(v[4] == "PASS" for v in judged) else "BELOW"
    label, what = LABELS[io]
    print(f"{label}: ggate >= {GOAL:.0%} of the local device's sequential throughput ({io}, queue"
          f" depth {best}): " + ", ".join(f"{v[0]} {v[3]:.0%}" for v in judged) + f" -> {overall}"
          f"\n    ({what})")
if not any(v[2] == "direct" for v in verdicts):
    print("target: no O_DIRECT (directIo=true) ggate and local sequential results in this file;"
          " the target is judged on those")
print("MiB/s = requests/s x request size (1 MiB sequential, 4 KiB random); ratio = target/local.")
PY
}

if [ -n "$table_only" ]; then
  print_table "$table_only"
  exit 0
fi

dir=${MIRRORGATE_BENCH_DIR:-/var/tmp}
mkdir -p "$dir"
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
  echo "run.sh: $dir is a tmpfs; set MIRRORGATE_BENCH_DIR to a directory on a disk" >&2
  exit 2
fi
free_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt $((2 * 1024 * 1024)) ]; then
  echo "run.sh: $dir has $((free_kib / 1024)) MiB free (expected: >= 2048 for the 1 GiB image)" >&2
  exit 2
fi
export MIRRORGATE_BENCH_DIR=$dir

if [ "$build" = 1 ]; then
  mvn -B -q -DskipTests package
fi
jar=bench/target/bench.jar
[ -f "$jar" ] || { echo "run.sh: $jar is missing (run without --no-build)" >&2; exit 2; }

# JMH allows one run per machine (/tmp/jmh.lock) and a second one exits at once: wait for the
# lock to be free (up to $MIRRORGATE_BENCH_LOCK_WAIT seconds, default 1800) before starting.
python3 - "${MIRRORGATE_BENCH_LOCK_WAIT:-1800}" <<'PY'
import fcntl, sys, time
deadline = time.monotonic() + float(sys.argv[1])
with open("/tmp/jmh.lock", "a") as lock:
    told = False
    while True:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("run.sh: another JMH run still holds /tmp/jmh.lock; giving up")
            if not told:
                print("run.sh: another JMH run holds /tmp/jmh.lock, waiting", file=sys.stderr)
                told = True
            time.sleep(5)
PY

mode=()
if [ "$quick" = 1 ]; then
  mode=(-p queueDepth=16 -wi 1 -w 2s -i 2 -r 3s)
fi
mkdir -p bench/results
results=bench/results/$name.json
timeout "${MIRRORGATE_BENCH_TIMEOUT:-1800}" java -jar "$jar" "$pattern" "${mode[@]}" \
  -rf json -rff "$results" "${jmh_extra[@]}"
echo
echo "results: $results"
print_table "$results"
