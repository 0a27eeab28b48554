#!/usr/bin/env bash
# Issue 10, target 1 with the real programs: a standby that returns to a primary that kept
# running, after 1% of the volume changed as scattered 4 KiB writes while it was away, against
# rsync --inplace of the whole image, over 127.0.0.1.
# Targets: bytes copied <= 1.1x bytes changed, and the resync >= 10x faster than rsync.
#
#   bench/standby-return-vs-rsync.sh [--no-build] [--size-mib N] [--region-size SIZE]
#                                    [--percent P] [--dir PARENT] [--runs N] [--keep]
# (defaults: 1024 MiB, 4MiB regions, 1% of the 4 KiB blocks, /var/tmp, 3 runs; files in
# PARENT/mirrorgate-standby-return)
#
# Per run, with bin/replicator (two processes, each with its own config):
# 1. alpha.img: N MiB of random data; beta.img: empty. alpha starts primary, beta secondary;
#    the initial full sync alpha -> beta.
# 2. beta is stopped (SIGTERM: the standby goes away). P% of the 4 KiB blocks are rewritten at
#    random places through alpha's NBD endpoint (one qemu-io, then a flush): alpha owes them.
#    A copy of beta.img is made as rsync's target (the stale replica).
# 3. Page caches dropped; beta is started again (a new JVM); alpha reconnects and resyncs it.
#    Three times, each ending at "replicas in sync" in alpha's log:
#    - resync: from beta's "replica listening" (the standby back on the network) - the figure
#      the target is about; it includes alpha noticing (its link retries every 50-100 ms);
#    - rejoin: from "peer connected" in alpha's log (the copy and the bookkeeping alone);
#    - process: from beta's exec, its JVM's start included.
#    Bytes copied: alpha's status (resync.bytesDone).
# 4. rsync --inplace --no-whole-file of alpha.img onto the stale copy, to an rsync daemon on
#    127.0.0.1 (the delta algorithm over the same loopback), page caches dropped before.
# 5. sha256 of alpha.img, beta.img and the rsync target must be equal.
# Unlike scattered-resync-vs-rsync.sh (one fresh JVM holding both sides), the primary here has
# been running since its initial sync, as a primary whose standby went away would have; the
# standby is a fresh process.
# Prints every run, the medians, the machine's load, and PASS or BELOW for each target.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
SIZE_MIB=1024
REGION=4MiB
PERCENT=1
RUNS=3
OPTIONS=(--size-mib=SIZE_MIB --region-size=REGION --percent=PERCENT --runs=RUNS)
parse_options "$@"
region_bytes

require_tools "apt-get install rsync qemu-utils" java rsync sha256sum timeout qemu-io python3
build_jars "$ROOT/replicator/target/replicator.jar"
REPLICATOR=$ROOT/bin/replicator

fresh_dir mirrorgate-standby-return
require_disk_dir
trap cleanup EXIT

run_once() {
    two_nodes_in_sync

    echo "== beta stopped; scattered writes through alpha"
    kill "$PID_beta"; wait "$PID_beta" 2>/dev/null || true
    await alpha "d['state']!='connected'"
    NBD=$(status alpha | json "d['nbd']")
    BLOCKS=$((SIZE_MIB * 256))
    COUNT=$(( (BLOCKS * PERCENT + 99) / 100 ))
    python3 - "$BLOCKS" "$COUNT" > "$DIR/writes.qemu-io" <<'PY'
import random, sys
blocks, count = int(sys.argv[1]), int(sys.argv[2])
for b in sorted(random.sample(range(blocks), count)):
    print(f"write -P {b % 251 + 1} {b * 4096} 4096")
print("flush")
PY
    timeout "$STEP_TIMEOUT" qemu-io -f raw "nbd://$NBD/r0" < "$DIR/writes.qemu-io" > /dev/null
    CHANGED=$((COUNT * 4096))
    OWED=$(status alpha | json "d['owedBytes']" 2>/dev/null || echo "?")
    echo "written through alpha: $COUNT blocks of 4 KiB, $CHANGED bytes (alpha owes $OWED bytes)"
    cp --sparse=never "$DIR/beta.img" "$DIR/rsync-target.img"

    echo "== beta started again (a new process); alpha resyncs it"
    drop_caches
    BEFORE_A=$(wc -l < "$DIR/alpha.log"); BEFORE_B=$(wc -l < "$DIR/beta.log")
    T0=$(date +%s%3N)
    start beta
    await alpha "d['state']=='connected' and d['resync']['state']=='done' and d['owedRegions']==0"
    tail -n +$((BEFORE_A + 1)) "$DIR/alpha.log" > "$DIR/alpha-return.log"
    tail -n +$((BEFORE_B + 1)) "$DIR/beta.log" > "$DIR/beta-return.log"
    SYNC=$(logtime "$DIR/alpha-return.log" "replicas in sync")
    LISTEN=$(logtime "$DIR/beta-return.log" "replica listening")
    CONNECTED=$(logtime "$DIR/alpha-return.log" "peer connected resource=r0 decision")
    RESYNC_MS=$((SYNC - LISTEN)); REJOIN_MS=$((SYNC - CONNECTED)); PROCESS_MS=$((SYNC - T0))
    COPIED=$(status alpha | json "d['resync']['bytesDone']")
    echo "copied=$COPIED bytes; changed=$CHANGED; resync ${RESYNC_MS} ms from beta listening" \
        "(rejoin ${REJOIN_MS} ms from peer connected; ${PROCESS_MS} ms from beta's exec)" \
        "(page caches dropped: $DROPPED)"
    stop_all

    echo "== rsync --inplace --no-whole-file of alpha.img onto the stale copy (rsync daemon on 127.0.0.1)"
    start_rsyncd
    drop_caches
    T0=$(date +%s%3N)
    timeout "$STEP_TIMEOUT" rsync --inplace --no-whole-file --ignore-times --stats "$DIR/alpha.img" \
        "rsync://127.0.0.1:$RSYNC_PORT/bench/rsync-target.img" > "$DIR/rsync.out"
    RSYNC_MS=$(( $(date +%s%3N) - T0 ))
    stop_rsyncd
    echo "rsync ${RSYNC_MS} ms (page caches dropped: $DROPPED)"

    same_content "$DIR/alpha.img" "$DIR/beta.img" "$DIR/rsync-target.img"
    RATIO_ALL+=("$(echo "$COPIED $CHANGED" | awk '{printf "%.3f", $1 / $2}')")
    RESYNC_ALL+=("$RESYNC_MS"); REJOIN_ALL+=("$REJOIN_MS"); PROCESS_ALL+=("$PROCESS_MS"); RS_ALL+=("$RSYNC_MS")
}

RATIO_ALL=(); RESYNC_ALL=(); REJOIN_ALL=(); PROCESS_ALL=(); RS_ALL=()
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load before: $LOAD_BEFORE ($(nproc) cpus)"
for run in $(seq 1 "$RUNS"); do
    echo "######## run $run of $RUNS"
    run_once
done
echo "== result ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus, load before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg))"
echo "runs: bytes copied / changed = ${RATIO_ALL[*]}; resync ms = ${RESYNC_ALL[*]};"
echo "      rejoin ms = ${REJOIN_ALL[*]}; from beta's exec ms = ${PROCESS_ALL[*]}; rsync ms = ${RS_ALL[*]}"
printf '%s\n' "${RATIO_ALL[@]}" | awk '$1 > worst {worst = $1}
    END {printf "copy ratio: worst %.3f, target <= 1.1: %s\n", worst, (worst <= 1.1) ? "PASS" : "ABOVE"}'
awk -v rsn="$(median "${RESYNC_ALL[@]}")" -v rj="$(median "${REJOIN_ALL[@]}")" \
    -v pr="$(median "${PROCESS_ALL[@]}")" -v rs="$(median "${RS_ALL[@]}")" -v runs="$RUNS" 'BEGIN {
    printf "median of %d runs:\n", runs;
    printf "resync from beta listening: %d ms (from peer connected: %d ms; from beta'"'"'s exec, its JVM included: %d ms)\n", rsn, rj, pr;
    printf "rsync --inplace: %d ms\n", rs;
    printf "ratio: %.1fx (from beta'"'"'s exec: %.1fx), target >= 10x: %s\n", rs / rsn, rs / pr,
        (rs / rsn >= 10) ? "PASS" : "BELOW";
}'
