#!/usr/bin/env bash
# Mirrorgate's NBD endpoints against their peers, with fio's nbd engine as the one client for every
# server (issue 10's table):
#
#   bench/peers.sh [--no-build] [--size-mib N] [--runs N] [--runtime S] [--ramp S]
#                  [--targets LIST] [--jobs LIST] [--pin none|split] [--dir PARENT] [--out FILE]
#                  [--keep]
# (defaults: 1024 MiB, 3 runs, 10 s per job after 3 s of ramp, every target and job, no pinning,
#  /var/tmp; the raw output is bench/results/peers-<UTC time>.txt, or FILE)
# --pin split: fio on CPU 0, every server on the other CPUs (taskset), as if client and server
#   were two machines. Unpinned, a queue-depth-1 job on a small VM measures where the scheduler
#   puts the two threads more than the server: a wake-up of an idle vCPU costs tens of
#   microseconds, and a server whose thread lands on fio's CPU skips it.
#
# Targets (LIST: comma-separated, in this order):
#   local     the image itself, fio's libaio engine with O_DIRECT (no network)
#   writers   two concurrent local O_DIRECT writers, one per image (the write jobs only): what a
#             mirror that writes both copies can reach at most; the figure is per writer (mean)
#   nbdkit    nbdkit's file plugin            nbd-server   nbd-server 3 (config file)
#   qemu-nbd  qemu-nbd -f raw                 ggate        ggate-server's NBD port
#   attach    ggate-client attach -> ggate-server (two hops)
#   mirror    replicator (fullsync) of the image, its peer a ggate-server export of a second
#             image; measured once the initial sync is done
# Jobs: seqwrite seqread (1 MiB, queue depth 8, MiB/s); randwrite1 randwrite16 randread1
#   randread16 (4 KiB at queue depth 1 and 16, IOPS). All on 127.0.0.1, one image of random
#   bytes shared by the servers (the mirror's peer gets a copy); fio refills its buffers with
#   random bytes for every write (--refill_buffers), so the image stays incompressible.
# Repetitions are interleaved (run 1 of every target, then run 2, ...); each server is started
# for its run and stopped after it. Prints every value, then medians with min-max and the
# ratios that issue 10's targets are judged on, with the machine's load before and after.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
SIZE_MIB=1024
RUNS=3
RUNTIME=10
RAMP=3
ALL_TARGETS=local,writers,nbdkit,nbd-server,qemu-nbd,ggate,attach,mirror
TARGETS=$ALL_TARGETS
ALL_JOBS=seqwrite,seqread,randwrite1,randwrite16,randread1,randread16
JOBS=$ALL_JOBS
OUT=
PIN=none
OPTIONS=(--size-mib=SIZE_MIB --runs=RUNS --runtime=RUNTIME --ramp=RAMP --targets=TARGETS --jobs=JOBS
    --pin=PIN --out=OUT)
parse_options "$@"
FIO=(fio)
case "$PIN" in
    none) ;;
    split)
        [ "$(nproc)" -ge 2 ] || { echo "--pin split needs 2 CPUs or more" >&2; exit 2; }
        require_tools "apt-get install util-linux" taskset
        # the servers this shell starts inherit its CPUs; fio gets CPU 0 alone
        taskset -p -c "1-$(($(nproc) - 1))" $$ > /dev/null
        FIO=(taskset -c 0 fio) ;;
    *) echo "--pin: $PIN (expected: none or split)" >&2; exit 2 ;;
esac
for n in "$SIZE_MIB" "$RUNS" "$RUNTIME" "$RAMP"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a whole number: $n (see --help)" >&2; exit 2; }
done
[ "$SIZE_MIB" -ge 64 ] && [ "$RUNS" -ge 1 ] && [ "$RUNTIME" -ge 1 ] \
    || { echo "expected: --size-mib >= 64, --runs >= 1, --runtime >= 1" >&2; exit 2; }
for t in ${TARGETS//,/ }; do
    [[ ",$ALL_TARGETS," == *",$t,"* ]] || { echo "unknown target: $t (expected: $ALL_TARGETS)" >&2; exit 2; }
done
for j in ${JOBS//,/ }; do
    [[ ",$ALL_JOBS," == *",$j,"* ]] || { echo "unknown job: $j (expected: $ALL_JOBS)" >&2; exit 2; }
done
has() { [[ ",$TARGETS," == *",$1,"* ]]; }

tools=(fio python3 timeout java)
has nbdkit && tools+=(nbdkit)
has nbd-server && tools+=(nbd-server)
has qemu-nbd && tools+=(qemu-nbd)
require_tools "apt-get install fio nbdkit nbd-server qemu-utils" "${tools[@]}"
fio --enghelp=nbd >/dev/null 2>&1 || { echo "this fio has no nbd engine (Debian's fio has it)" >&2; exit 2; }

build_jars "$ROOT/replicator/target/replicator.jar"
[ -n "$OUT" ] || { mkdir -p "$ROOT/bench/results"; OUT=$ROOT/bench/results/peers-$(date -u +%Y%m%d-%H%M).txt; }

fresh_dir mirrorgate-peers
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" | tee -a "$OUT"; }

job_args() {
    case "$1" in
        seqwrite) echo "--rw=write --bs=1M --iodepth=8" ;;
        seqread) echo "--rw=read --bs=1M --iodepth=8" ;;
        randwrite1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
        randwrite16) echo "--rw=randwrite --bs=4k --iodepth=16" ;;
        randread1) echo "--rw=randread --bs=4k --iodepth=1" ;;
        randread16) echo "--rw=randread --bs=4k --iodepth=16" ;;
    esac
}
# fio's figure for one job: MiB/s for 1 MiB jobs, IOPS for 4 KiB ones (mean over fio's jobs)
figure() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
job = sys.argv[2]
side = "write" if "write" in job else "read"
vals = [j[side]["bw"] / 1024 if job.startswith("seq") else j[side]["iops"] for j in doc["jobs"]]
if any(j["error"] for j in doc["jobs"]):
    sys.exit("fio reported an error")
print("%.1f" % (sum(vals) / len(vals)))
EOF
}
# runs every selected job with fio's global options "$@", one fio job per file in FILES (or one
# job when FILES is empty); records TARGET JOB RUN VALUE
run_jobs() {
    local target=$1 run=$2; shift 2
    local job value
    for job in ${JOBS//,/ }; do
        if [ "$target" = writers ] && [[ "$job" != *write* ]]; then continue; fi
        # shellcheck disable=SC2046
        local names=(--name="$job") f
        if [ ${#FILES[@]} -gt 0 ]; then
            names=(); for f in "${FILES[@]}"; do names+=(--name="$job-$(basename "$f")" --filename="$f"); done
        fi
        # no dirty data left from what ran before (a job's buffered writes, the mirror's initial
        # sync): its write-back would run during this job and count against it
        sync
        timeout $((RUNTIME + RAMP + 120)) "${FIO[@]}" "$@" $(job_args "$job") \
            --time_based --runtime="$RUNTIME" --ramp_time="$RAMP" --randrepeat=0 --norandommap --refill_buffers \
            --output-format=json --output="$DIR/fio.json" "${names[@]}" > "$DIR/fio.log" 2>&1 \
            || { echo "fio $target $job failed:" >&2; cat "$DIR/fio.log" >&2
                 for f in "$DIR"/*.err; do [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }; done
                 exit 1; }
        value=$(figure "$DIR/fio.json" "$job")
        echo "$target $job $run $value" >> "$DIR/values"
        log "   $target $job: $value"
    done
}

ggate_server() {   # ggate-server exporting $1 as "disk"; sets GPORT and NPORT
    printf '127.0.0.1 RW %s disk\n' "$1" > "$DIR/exports"
    GPORT=$(free_port); NPORT=$(free_port)
    start_daemon ggate-server "$ROOT/bin/ggate-server" -e "$DIR/exports" -k "$DIR/key" \
        -l "127.0.0.1:$GPORT" --nbd-listen "127.0.0.1:$NPORT" --state-dir "$DIR/state"
}

run_target() {
    local target=$1 run=$2 port img=$DIR/image.img
    log "== run $run: $target (load $(cut -d' ' -f1-3 /proc/loadavg))"
    FILES=()
    case "$target" in
        local) FILES=("$img"); run_jobs local "$run" --ioengine=libaio --direct=1 ;;
        writers) FILES=("$img" "$DIR/peer.img"); run_jobs writers "$run" --ioengine=libaio --direct=1 ;;
        nbdkit)
            port=$(free_port)
            WAIT_PORT=$port start_daemon nbdkit nbdkit -f -i 127.0.0.1 -p "$port" file file="$img"
            run_jobs nbdkit "$run" --ioengine=nbd --uri="nbd://127.0.0.1:$port/" ;;
        nbd-server)
            port=$(free_port)
            printf '[generic]\n    listenaddr = 127.0.0.1\n    port = %s\n[disk]\n    exportname = %s\n' \
                "$port" "$img" > "$DIR/nbd-server.conf"
            # it daemonizes (with -d it would serve one connection only); its pid from its file
            WAIT_PORT=$port start_daemon nbd-server nbd-server -C "$DIR/nbd-server.conf" -p "$DIR/nbd-server.pid"
            PIDS+=("$(cat "$DIR/nbd-server.pid")")
            run_jobs nbd-server "$run" --ioengine=nbd --uri="nbd://127.0.0.1:$port/disk" ;;
        qemu-nbd)
            port=$(free_port)
            WAIT_PORT=$port start_daemon qemu-nbd qemu-nbd -f raw -b 127.0.0.1 -p "$port" -x disk -t "$img"
            run_jobs qemu-nbd "$run" --ioengine=nbd --uri="nbd://127.0.0.1:$port/disk" ;;
        ggate)
            ggate_server "$img"
            run_jobs ggate "$run" --ioengine=nbd --uri="nbd://127.0.0.1:$NPORT/disk" ;;
        attach)
            ggate_server "$img"
            start_daemon attach "$ROOT/bin/ggate-client" attach -k "$DIR/key" --run-dir "$DIR/run" \
                "127.0.0.1:$GPORT" "$img"
            run_jobs attach "$run" --ioengine=nbd --uri="$LINE" ;;
        mirror)
            ggate_server "$DIR/peer.img"
            rm -rf "$DIR/mirror.mgmeta"
            cat > "$DIR/replicator.toml" <<EOF
node = "primary"
control = "$DIR/replicator.sock"
metrics = "off"
[resource.r0]
local = "$img"
metadata = "$DIR/mirror.mgmeta"
role = "primary"
remote = "127.0.0.1:$GPORT"
remote_path = "$DIR/peer.img"
key_file = "$DIR/key"
mode = "fullsync"
resync_rate = "unlimited"
nbd_listen = "127.0.0.1:0"
EOF
            "$ROOT/bin/replicator" -c "$DIR/replicator.toml" create r0 > /dev/null 2> "$DIR/create.err" \
                || { cat "$DIR/create.err" >&2; exit 1; }
            start_daemon replicator "$ROOT/bin/replicator" -c "$DIR/replicator.toml" run
            local endpoint
            endpoint=$(field nbd)
            wait_in_sync "$DIR/replicator.toml" "$STEP_TIMEOUT"
            run_jobs mirror "$run" --ioengine=nbd --uri="nbd://$endpoint/r0" ;;
    esac
    stop_all
}

: > "$OUT"
log "# bench/peers.sh $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
log "# size ${SIZE_MIB} MiB, $RUNS runs, ${RUNTIME} s per job after ${RAMP} s ramp, targets $TARGETS, pinning $PIN"
log "# load before: $(cat /proc/loadavg)"
log "writing ${SIZE_MIB} MiB of random bytes to $DIR/image.img (and its copy peer.img)"
head -c $((SIZE_MIB * 1048576)) /dev/urandom > "$DIR/image.img"
cp "$DIR/image.img" "$DIR/peer.img"
"$ROOT/bin/ggate-server" keygen "$DIR/key" > /dev/null
: > "$DIR/values"
for run in $(seq 1 "$RUNS"); do
    for target in ${TARGETS//,/ }; do
        run_target "$target" "$run"
    done
done
log "# load after: $(cat /proc/loadavg)"
python3 "$ROOT/bench/peers-table.py" "$DIR/values" "$TARGETS" "$JOBS" | tee -a "$OUT"
echo "raw output: $OUT"
