#!/usr/bin/env bash
# Sparse images through every Mirrorgate NBD endpoint against nbdkit, and the initial sync of the
# same image against syncing its data alone (issue 9's performance targets):
#
#   bench/sparse-copy.sh [--no-build] [--size-mib N] [--data-mib N] [--dir PARENT] [--runs N] [--keep]
# (defaults: 1024 MiB holding 16 MiB of data in 1 MiB runs, /var/tmp, 3 runs)
#
# Per run:
# 1. nbdcopy of sparse.img served by nbdkit's file plugin (the reference);
# 2. nbdcopy of the same file from ggate-server's NBD port, from a ggate-client attachment of its
#    ggate export, and from the replicator's mirrored volume over it (bin/ programs, 127.0.0.1);
#    every copy must equal sparse.img (cmp) and stay sparse; each endpoint gets one untimed
#    warm-up copy first (a fresh JVM interprets before it compiles);
# 3. ResyncRun prepare --dirty-percent 0: the product's initial sync of sparse.img to a blank
#    standby, and of dense.img (the data alone: N MiB of random bytes) to another; their times.
# Prints every run's times, the medians, and per target PASS or BELOW:
#   each endpoint <= 1.2x nbdkit's nbdcopy time; sparse initial sync <= 2x the data-alone sync.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
SIZE_MIB=1024
DATA_MIB=16
RUNS=3
OPTIONS=(--size-mib=SIZE_MIB --data-mib=DATA_MIB --runs=RUNS)
parse_options "$@"

require_tools "apt-get install nbdkit libnbd-bin" java nbdkit nbdcopy cmp python3 timeout
build_jars "$ROOT/bench/target/bench.jar"
# shellcheck disable=SC2046
RESYNC_RUN=(java $(jvm_opens) -Xmx1g -cp "$ROOT/bench/target/bench.jar" io.mirrorgate.bench.ResyncRun)

fresh_dir mirrorgate-sparse-copy
trap cleanup EXIT

allocated_mib() { echo $(( $(stat -c %b "$1") * 512 / 1048576 )); }

# copies $1 (an NBD URI) to $2 with nbdcopy; prints the seconds; checks the copy. A first,
# untimed copy to null: warms the endpoint's JVM up (nbdkit is C and needs none).
timed_copy() {
    local t0 t1
    timeout "$STEP_TIMEOUT" nbdcopy "$1" null:
    rm -f "$2"
    t0=$(now)
    timeout "$STEP_TIMEOUT" nbdcopy "$1" "$2"
    t1=$(now)
    cmp -s "$DIR/sparse.img" "$2" || { echo "copy $2 differs from sparse.img" >&2; exit 1; }
    [ "$(allocated_mib "$2")" -le $((2 * DATA_MIB + 1)) ] || { echo "copy $2 is not sparse" >&2; exit 1; }
    elapsed "$t0" "$t1"
}

declare -A TIMES
run_once() {
    local run=$1 size=$((SIZE_MIB * 1048576)) step
    echo "== run $run: ${SIZE_MIB} MiB holding ${DATA_MIB} MiB of data in $DIR"
    rm -rf "${DIR:?}"/*
    truncate -s "$size" "$DIR/sparse.img"
    step=$((SIZE_MIB / DATA_MIB))
    for i in $(seq 0 $((DATA_MIB - 1))); do
        dd if=/dev/urandom of="$DIR/sparse.img" bs=1M count=1 seek=$((i * step)) conv=notrunc status=none
    done
    head -c $((DATA_MIB * 1048576)) /dev/urandom > "$DIR/dense.img"

    TIMES[nbdkit,$run]=$(cd "$DIR" && timeout "$STEP_TIMEOUT" nbdkit -r -U - file file="$DIR/sparse.img" \
        --run 't0=$(date +%s.%N); nbdcopy "$uri" nbdkit-copy.img; t1=$(date +%s.%N); echo "$t0 $t1"' \
        | awk '{printf "%.3f", $2 - $1}')
    cmp -s "$DIR/sparse.img" "$DIR/nbdkit-copy.img" || { echo "nbdkit copy differs" >&2; exit 1; }

    "$ROOT/bin/ggate-server" keygen "$DIR/key" > /dev/null
    truncate -s "$size" "$DIR/standby.img"
    printf '127.0.0.1 RW %s disk\n127.0.0.1 RW %s standby\n' "$DIR/sparse.img" "$DIR/standby.img" > "$DIR/exports"
    local gport nport
    gport=$(free_port); nport=$(free_port)
    start_daemon server "$ROOT/bin/ggate-server" -e "$DIR/exports" -k "$DIR/key" \
        -l "127.0.0.1:$gport" --nbd-listen "127.0.0.1:$nport" --state-dir "$DIR/state"
    TIMES[server,$run]=$(timed_copy "nbd://127.0.0.1:$nport/disk" "$DIR/server-copy.img")

    start_daemon attach "$ROOT/bin/ggate-client" attach -k "$DIR/key" -o ro \
        --run-dir "$DIR/run" "127.0.0.1:$gport" "$DIR/sparse.img"
    TIMES[attach,$run]=$(timed_copy "$LINE" "$DIR/attach-copy.img")

    cat > "$DIR/replicator.toml" <<EOF
node = "primary"
control = "$DIR/replicator.sock"
metrics = "off"
[resource.r0]
local = "$DIR/sparse.img"
role = "primary"
remote = "127.0.0.1:$gport"
remote_path = "$DIR/standby.img"
key_file = "$DIR/key"
region_size = "1MiB"
nbd_listen = "127.0.0.1:0"
EOF
    "$ROOT/bin/replicator" -c "$DIR/replicator.toml" create r0 > /dev/null
    start_daemon replicator "$ROOT/bin/replicator" -c "$DIR/replicator.toml" run
    wait_in_sync "$DIR/replicator.toml" 300
    TIMES[mirror,$run]=$(timed_copy "nbd://$(field nbd)/r0" "$DIR/mirror-copy.img")
    stop_all

    local kind
    for kind in sparse dense; do
        cp --sparse=always "$DIR/$kind.img" "$DIR/sync-$kind.img"
        truncate -s "$(stat -c %s "$DIR/$kind.img")" "$DIR/sync-$kind-standby.img"
        timeout "$STEP_TIMEOUT" "${RESYNC_RUN[@]}" prepare --primary "$DIR/sync-$kind.img" \
            --standby "$DIR/sync-$kind-standby.img" --metadata "$DIR/sync-$kind.mgmeta" \
            --state-dir "$DIR/sync-$kind-state" --dirty-percent 0 \
            > "$DIR/sync-$kind.out" 2> "$DIR/sync-$kind.log" || { cat "$DIR/sync-$kind.log" >&2; exit 1; }
        TIMES[sync-$kind,$run]=$(value initial_sync_seconds "$DIR/sync-$kind.out")
    done
    echo "   nbdkit ${TIMES[nbdkit,$run]} s, ggate-server ${TIMES[server,$run]} s, attachment ${TIMES[attach,$run]} s," \
        "mirror ${TIMES[mirror,$run]} s; initial sync sparse ${TIMES[sync-sparse,$run]} s, data alone ${TIMES[sync-dense,$run]} s"
}

for run in $(seq 1 "$RUNS"); do
    run_once "$run"
done

# median_of KEY: the median of KEY's times over the runs
median_of() {
    local run values=()
    for run in $(seq 1 "$RUNS"); do values+=("${TIMES[$1,$run]}"); done
    median "${values[@]}"
}
verdict() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {r = a / b; printf "%.2fx %s", r, (r <= t ? "PASS" : "BELOW")}'; }

echo "== medians of $RUNS runs (load when done: $(cut -d' ' -f1-3 /proc/loadavg))"
NBDKIT=$(median_of nbdkit)
echo "nbdcopy from nbdkit:                $NBDKIT s"
for endpoint in server attach mirror; do
    printf 'nbdcopy from %-22s %s s  %s (target <= 1.2x nbdkit)\n' "$endpoint:" "$(median_of "$endpoint")" \
        "$(verdict "$(median_of "$endpoint")" "$NBDKIT" 1.2)"
done
echo "initial sync, sparse image:         $(median_of sync-sparse) s"
echo "initial sync, its data alone:       $(median_of sync-dense) s  -> sparse $(verdict "$(median_of sync-sparse)" "$(median_of sync-dense)" 2) (target <= 2x)"
