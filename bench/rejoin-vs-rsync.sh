#!/usr/bin/env bash
# The rejoin after a failover, against rsync --inplace of the whole image, over 127.0.0.1.
# Targets: bytes copied <= 1.1x what differs (plus the old primary's marked regions), and the
# rejoin >= 20x faster than rsync.
#
#   bench/rejoin-vs-rsync.sh [--no-build] [--size-mib N] [--region-size SIZE] [--percent P]
#                            [--dir PARENT] [--runs N] [--keep]
# (defaults: 1024 MiB, 1MiB regions, 1%, /var/tmp, 3 runs; files in PARENT/mirrorgate-rejoin)
#
# Per run, with the real programs (bin/replicator, two processes, each with its own config):
# 1. alpha.img: N MiB of random data; beta.img: empty. replicator create on both nodes;
#    alpha starts primary, beta secondary; the initial full sync alpha -> beta.
# 2. alpha is SIGKILLed (a failover); beta takes over: replicator role r0 primary --force.
# 3. P% of the volume is rewritten through beta's NBD endpoint (qemu-io, whole regions at random
#    places): what differs now. A copy of alpha.img is made as rsync's target (the stale replica).
# 4. alpha is started as secondary; beta resyncs it. Timed from beta's "peer connected" to
#    "replicas in sync" in beta's log (the rejoin), and from alpha's start (with its JVM start).
#    Bytes copied: beta's status (resync.bytesDone) against the bytes written plus alpha's marks.
# 5. rsync --inplace --no-whole-file of beta.img onto the stale copy, to an rsync daemon on
#    127.0.0.1 (the delta algorithm over the same loopback), page caches dropped before both.
# 6. sha256 of alpha.img, beta.img and the rsync target must be equal.
# Prints every run, the medians, the machine's load, and PASS or BELOW for each target.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
SIZE_MIB=1024
REGION=1MiB
PERCENT=1
RUNS=3
OPTIONS=(--size-mib=SIZE_MIB --region-size=REGION --percent=PERCENT --runs=RUNS)
parse_options "$@"
region_bytes

require_tools "apt-get install rsync qemu-utils" java rsync sha256sum timeout qemu-io python3
build_jars "$ROOT/replicator/target/replicator.jar"
REPLICATOR=$ROOT/bin/replicator

fresh_dir mirrorgate-rejoin
require_disk_dir
KILL_SIGNAL=KILL
trap cleanup EXIT

run_once() {
    two_nodes_in_sync

    echo "== failover: alpha SIGKILLed, beta promoted"
    kill -9 "$PID_alpha"; wait "$PID_alpha" 2>/dev/null || true
    "$REPLICATOR" -c "$DIR/beta.toml" role r0 primary --force
    NBD=$(status beta | json "d['nbd']")
    REGIONS=$((SIZE_MIB * 1048576 / REGION_BYTES))
    COUNT=$(( (REGIONS * PERCENT + 99) / 100 ))
    CMDS=()
    for r in $(python3 -c "import random; print(' '.join(map(str, sorted(random.sample(range($REGIONS), $COUNT)))))"); do
        CMDS+=(-c "write -P $((r % 251 + 1)) $((r * REGION_BYTES)) $REGION_BYTES")
    done
    timeout "$STEP_TIMEOUT" qemu-io -f raw "nbd://$NBD/r0" "${CMDS[@]}" -c flush > /dev/null
    WRITTEN=$((COUNT * REGION_BYTES))
    echo "written through beta: $COUNT regions, $WRITTEN bytes"
    cp --sparse=never "$DIR/alpha.img" "$DIR/rsync-target.img"
    ALPHA_MARKED=$("$REPLICATOR" -c "$DIR/alpha.toml" dump-metadata r0 --json | json "d['markedRegions']")

    echo "== rejoin: alpha started as secondary"
    sed -i 's/^role = "primary"/role = "secondary"/' "$DIR/alpha.toml"
    drop_caches
    : > "$DIR/beta.log.mark"; BEFORE=$(wc -l < "$DIR/beta.log")
    T0=$(date +%s%3N)
    start alpha
    await beta "d['state']=='connected' and d['resync']['state']=='done' and d['owedRegions']==0"
    T1=$(date +%s%3N)
    tail -n +$((BEFORE + 1)) "$DIR/beta.log" > "$DIR/beta-rejoin.log"
    C=$(grep -m1 "peer connected resource=r0" "$DIR/beta-rejoin.log" | cut -d' ' -f1)
    S=$(grep -m1 "replicas in sync" "$DIR/beta-rejoin.log" | cut -d' ' -f1)
    REJOIN_MS=$(( $(ms "$S") - $(ms "$C") ))
    WALL_MS=$((T1 - T0))
    COPIED=$(status beta | json "d['resync']['bytesDone']")
    echo "copied=$COPIED bytes; written=$WRITTEN; alpha marked $ALPHA_MARKED regions; rejoin ${REJOIN_MS} ms (${WALL_MS} ms from alpha's start)"
    kill "$PID_alpha" "$PID_beta"; wait "$PID_alpha" "$PID_beta" 2>/dev/null || true

    echo "== rsync --inplace --no-whole-file of beta.img onto the stale copy (rsync daemon on 127.0.0.1)"
    start_rsyncd
    drop_caches
    T0=$(date +%s%3N)
    timeout "$STEP_TIMEOUT" rsync --inplace --no-whole-file --ignore-times --stats "$DIR/beta.img" \
        "rsync://127.0.0.1:$RSYNC_PORT/bench/rsync-target.img" > "$DIR/rsync.out"
    RSYNC_MS=$(( $(date +%s%3N) - T0 ))
    stop_rsyncd
    echo "rsync ${RSYNC_MS} ms (page caches dropped: $DROPPED)"

    same_content "$DIR/alpha.img" "$DIR/beta.img" "$DIR/rsync-target.img"
    ALLOWED=$(( WRITTEN * 11 / 10 + ALPHA_MARKED * REGION_BYTES ))
    COPIED_ALL+=("$COPIED"); ALLOWED_ALL+=("$ALLOWED"); REJOIN_ALL+=("$REJOIN_MS"); WALL_ALL+=("$WALL_MS"); RS_ALL+=("$RSYNC_MS")
}

COPIED_ALL=(); ALLOWED_ALL=(); REJOIN_ALL=(); WALL_ALL=(); RS_ALL=()
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq 1 "$RUNS"); do
    echo "######## run $run of $RUNS"
    run_once
done
echo "== result ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "runs: copied bytes = ${COPIED_ALL[*]} (allowed ${ALLOWED_ALL[*]}); rejoin ms = ${REJOIN_ALL[*]};"
echo "      from alpha's start ms = ${WALL_ALL[*]}; rsync ms = ${RS_ALL[*]}"
awk -v rj="$(median "${REJOIN_ALL[@]}")" -v wall="$(median "${WALL_ALL[@]}")" -v rs="$(median "${RS_ALL[@]}")" \
    -v copied="$(median "${COPIED_ALL[@]}")" -v allowed="$(median "${ALLOWED_ALL[@]}")" -v runs="$RUNS" 'BEGIN {
    printf "median of %d runs:\n", runs;
    printf "bytes copied: %d, allowed (1.1x written + alpha marked): %d: %s\n", copied, allowed,
        (copied <= allowed) ? "PASS" : "BELOW";
    printf "rejoin: %d ms (from alpha start, with its JVM: %d ms); rsync --inplace: %d ms\n", rj, wall, rs;
    printf "ratio: %.1fx (from alpha start: %.1fx), target >= 20x: %s\n", rs / rj, rs / wall,
        (rs / rj >= 20) ? "PASS" : "BELOW";
}'
