#!/usr/bin/env bash
# Failover time (issue 7): from the SIGKILL of every process of the primary to the first
# successful client read through the service address, with keepalive 200ms and deadtime 1s
# (fsck of the ext4 journal included). Runs fsck-orchestrator's FailoverEndToEndTest RUNS times
# (default 10; root, network namespaces, nbdfuse) and prints each run, the median, the worst,
# and each takeover step's share of the median.
#
#   bench/failover.sh [RUNS]        # results also in bench/results/failover-DATE.txt
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-10}
mkdir -p bench/results
out="bench/results/failover-$(date -u +%Y%m%d-%H%M%S).txt"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for i in $(seq 1 "$runs"); do
  mvn -B -o -q -pl fsck-orchestrator -am test -Dtest=FailoverEndToEndTest \
      -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  total=$(grep -o 'first successful client read [0-9]*ms' "$log" | head -1 | tr -dc '0-9')
  # the takeover's steps, as the test prints them: "  fence 508ms fenced r0"
  steps=$(awk '/failover: first successful/ {on=1; next}
               on && /^  [a-z-]+ [0-9]+ms/ {sub("ms", "", $2); printf "%s=%s ", $1, $2; n++}
               on && n == 7 {exit}' "$log")
  echo "run $i: ${total}ms $steps" | tee -a "$out"
done

sorted=$(sed -n 's/^run [0-9]*: \([0-9]*\)ms.*/\1/p' "$out" | sort -n)
n=$(echo "$sorted" | wc -l)
median=$(echo "$sorted" | awk -v n="$n" '{ t[NR] = $1 } END { print (n % 2) ? t[(n + 1) / 2] : int((t[n / 2] + t[n / 2 + 1]) / 2) }')
worst=$(echo "$sorted" | tail -1)
{
  echo "runs: $n  median: ${median}ms  worst: ${worst}ms  (target: deadtime 1000ms + 1000ms)"
  sed -n 's/^run [0-9]*: [0-9]*ms //p' "$out" | awk -v n="$n" -v median="$median" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); sum[kv[1]] += kv[2]; if (NR == 1) order[i] = kv[1] } }
    END {
      used = 0
      for (k = 1; k <= 6; k++) {
        s = order[k]; mean = sum[s] / n; used += mean
        printf "  %-10s %6.0fms  %5.1f%% of the median\n", s, mean, 100 * mean / median
      }
      printf "  %-10s %6.0fms  %5.1f%%  detection (deadtime + the next tick), the service starting, the client retrying\n", "rest", median - used, 100 * (median - used) / median
      print "  (notify waits for arping -c 3 after the service answers: not part of the total)"
    }'
} | tee -a "$out"
echo "results: $out"
