#!/usr/bin/env bash
# Resync time of Mirrorgate for 1% dirty regions of a 1 GiB image, against rsync --inplace of the
# whole image, both over 127.0.0.1 (replicator target: Mirrorgate at least 20x faster).
#
#   bench/resync-vs-rsync.sh [--no-build] [--size-mib N] [--region-size BYTES]
#                            [--dirty-percent P] [--dir PARENT] [--runs N] [--keep]
#                            [--scattered-writes N] [--target-ratio R] [--max-copy-ratio X]
# (defaults: 1024 MiB, 1 MiB regions, 1%, /var/tmp, 3 runs; files in PARENT/mirrorgate-resync-vs-rsync)
# --scattered-writes N: step 2 writes N random 4 KiB blocks instead of whole regions; in step 3 the
# primary's runtime starts degraded (the standby away again for a second) and the resync is timed
# from the standby listening again to "replicas in sync" (ResyncRun resync --standby-restart); and
# bytes copied / bytes changed must be <= X (default 1.1). bench/scattered-resync-vs-rsync.sh runs it.
#
# 1. primary.img: N MiB of random data; rsync-target.img: a copy of it (cp); standby.img: empty.
# 2. ResyncRun prepare: the product's full initial sync primary -> standby over a ggate connection
#    on 127.0.0.1, then the standby's server stops and whole random regions (>= P% of them) are
#    rewritten with new random data through the degraded mirror (they become owed in the bitmap).
# 3. sync + drop page caches; ResyncRun resync: the standby comes back, the runtime resyncs the
#    owed regions; timed from the runtime's start to "replicas in sync" (and the JVM's wall time).
# 4. sync + drop page caches; rsync --inplace --no-whole-file --stats of primary.img to an rsync
#    daemon on 127.0.0.1 holding rsync-target.img (the delta algorithm over the same loopback).
# 5. sha256 of primary, standby and rsync target must all be equal.
# Steps 1-5 run N times (default 3, about a minute each); prints every run's times and the medians,
# their ratio, and PASS (>= 20x) or BELOW.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
SIZE_MIB=1024
REGION_SIZE=1048576
DIRTY_PERCENT=1
RUNS=3
TARGET_RATIO=20
SCATTERED=0
MAX_COPY_RATIO=1.1
OPTIONS=(--size-mib=SIZE_MIB --region-size=REGION_SIZE --dirty-percent=DIRTY_PERCENT --runs=RUNS
    --scattered-writes=SCATTERED --target-ratio=TARGET_RATIO --max-copy-ratio=MAX_COPY_RATIO)
parse_options "$@"

require_tools "" java rsync sha256sum timeout python3
JAR=$ROOT/bench/target/bench.jar
build_jars "$JAR"
# shellcheck disable=SC2046
RUN=(java $(jvm_opens) -Xmx1g -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS -cp "$JAR" io.mirrorgate.bench.ResyncRun)

# everything lives in a directory of its own, removed at the end unless --keep
fresh_dir mirrorgate-resync-vs-rsync
require_disk_dir
trap cleanup EXIT

run_once() {
    PRIMARY=$DIR/primary.img
    STANDBY=$DIR/standby.img
    TARGET=$DIR/rsync-target.img
    META=$DIR/primary.mgmeta
    STATE=$DIR/standby-state

    echo "== images: ${SIZE_MIB} MiB random in $DIR ($FSTYPE)"
    timeout "$STEP_TIMEOUT" head -c $((SIZE_MIB * 1048576)) /dev/urandom > "$PRIMARY"
    cp "$PRIMARY" "$TARGET"
    truncate -s $((SIZE_MIB * 1048576)) "$STANDBY"

    if [ "$SCATTERED" -gt 0 ]; then
        echo "== prepare: initial sync, then $SCATTERED scattered 4 KiB writes (${REGION_SIZE}-byte regions) while the standby is away"
    else
        echo "== prepare: initial sync, then ${DIRTY_PERCENT}% of ${REGION_SIZE}-byte regions rewritten while the standby is away"
    fi
    timeout "$STEP_TIMEOUT" "${RUN[@]}" prepare --primary "$PRIMARY" --standby "$STANDBY" --metadata "$META" \
        --state-dir "$STATE" --region-size "$REGION_SIZE" --dirty-percent "$DIRTY_PERCENT" \
        --scattered-writes "$SCATTERED" \
        > "$DIR/prepare.out" 2> "$DIR/prepare.log" || { cat "$DIR/prepare.log" >&2; exit 1; }
    cat "$DIR/prepare.out"

    echo "== mirrorgate resync (owed regions, primary -> standby over 127.0.0.1)"
    drop_caches
    T0=$(now)
    RESTART=()
    if [ "$SCATTERED" -gt 0 ]; then RESTART=(--standby-restart); fi
    timeout "$STEP_TIMEOUT" "${RUN[@]}" resync --primary "$PRIMARY" --standby "$STANDBY" --metadata "$META" \
        --state-dir "$STATE" "${RESTART[@]+"${RESTART[@]}"}" > "$DIR/resync.out" 2> "$DIR/resync.log" \
        || { cat "$DIR/resync.log" >&2; exit 1; }
    T1=$(now)
    cat "$DIR/resync.out"
    if [ "$SCATTERED" -gt 0 ]; then
        MG_SECONDS=$(value standby_restart_to_in_sync_seconds "$DIR/resync.out")
    else
        MG_SECONDS=$(value resync_seconds "$DIR/resync.out")
    fi
    COPIED=$(value bytes_copied "$DIR/resync.out")
    CHANGED=$(value dirty_bytes "$DIR/prepare.out")
    COPY_RATIO=$(echo "$COPIED $CHANGED" | awk '{printf "%.3f", $1 / $2}')
    echo "bytes copied / bytes changed: $COPIED / $CHANGED = $COPY_RATIO"
    MG_WALL=$(elapsed "$T0" "$T1")
    echo "page caches dropped before: $DROPPED"

    echo "== rsync --inplace --no-whole-file of the whole image (rsync daemon on 127.0.0.1)"
    start_rsyncd
    drop_caches
    T0=$(now)
    timeout "$STEP_TIMEOUT" rsync --inplace --no-whole-file --stats "$PRIMARY" \
        "rsync://127.0.0.1:$RSYNC_PORT/bench/rsync-target.img" > "$DIR/rsync.out"
    T1=$(now)
    RSYNC_SECONDS=$(elapsed "$T0" "$T1")
    grep -E "Total bytes (sent|received)|Literal data|Matched data" "$DIR/rsync.out"
    echo "rsync_seconds=$RSYNC_SECONDS"
    echo "page caches dropped before: $DROPPED"

    stop_rsyncd

    echo "== checksums"
    same_content "$PRIMARY" "$STANDBY" "$TARGET"
    MG_ALL+=("$MG_SECONDS"); WALL_ALL+=("$MG_WALL"); RS_ALL+=("$RSYNC_SECONDS"); COPY_ALL+=("$COPY_RATIO")
}

MG_ALL=(); WALL_ALL=(); RS_ALL=(); COPY_ALL=()
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load before: $LOAD_BEFORE ($(nproc) cpus)"
for run in $(seq 1 "$RUNS"); do
    echo "######## run $run of $RUNS"
    rm -rf "${DIR:?}"/*
    run_once
done

echo "== result ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus, load before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg))"
echo "runs: mirrorgate resync s = ${MG_ALL[*]}; whole JVM run s = ${WALL_ALL[*]}; rsync s = ${RS_ALL[*]}"
echo "bytes copied / bytes changed per run: ${COPY_ALL[*]}"
if [ "$SCATTERED" -gt 0 ]; then
    echo "(scattered: the mirrorgate time runs from the standby's restart to the replicas in sync)"
    printf '%s\n' "${COPY_ALL[@]}" | awk -v max="$MAX_COPY_RATIO" '$1 > worst {worst = $1}
        END {printf "copy ratio: worst %.3f, target <= %s: %s\n", worst, max, (worst <= max) ? "PASS" : "ABOVE"}'
fi
awk -v mg="$(median "${MG_ALL[@]}")" -v wall="$(median "${WALL_ALL[@]}")" -v rs="$(median "${RS_ALL[@]}")" \
    -v target="$TARGET_RATIO" -v runs="$RUNS" 'BEGIN {
    ratio = rs / mg; wallRatio = rs / wall;
    printf "median of %d runs:\n", runs;
    printf "mirrorgate resync: %.3f s (whole JVM run incl. start and connect: %.3f s)\n", mg, wall;
    printf "rsync --inplace:   %.3f s\n", rs;
    printf "ratio: %.1fx (on the JVM wall time: %.1fx), target >= %dx: %s\n", ratio, wallRatio,
        target, (ratio >= target) ? "PASS" : "BELOW";
}'
