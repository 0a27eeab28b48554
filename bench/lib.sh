# Shell helpers shared by the bench scripts; sourced, not run:
#
#   . "$(dirname "$0")/lib.sh"
#
# Sets ROOT (the repository) and the defaults of the options every script takes (BUILD, PARENT,
# KEEP, STEP_TIMEOUT); a script sets its own defaults after sourcing it, then calls
# parse_options "$@" with OPTIONS naming its options that take a value.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=yes
PARENT=/var/tmp
KEEP=no
STEP_TIMEOUT=600
OPTIONS=()

# the script's header comment (its usage), without the leading '# '
usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; }

# parses the command line: --no-build, --keep, --help, --dir PARENT, and the script's options
# that take a value, as OPTIONS=(--size-mib=SIZE_MIB ...): each sets the variable it names
parse_options() {
    local opt var
    while [ $# -gt 0 ]; do
        case "$1" in
            --no-build) BUILD=no ;;
            --keep) KEEP=yes ;;
            -h|--help) usage; exit 0 ;;
            *)
                var=
                for opt in --dir=PARENT "${OPTIONS[@]+"${OPTIONS[@]}"}"; do
                    if [ "$1" = "${opt%%=*}" ]; then var=${opt#*=}; fi
                done
                [ -n "$var" ] || { echo "$(basename "$0"): unknown argument: $1 (see --help)" >&2; exit 2; }
                [ $# -ge 2 ] || { echo "$(basename "$0"): $1 needs a value (see --help)" >&2; exit 2; }
                printf -v "$var" '%s' "$2"
                shift ;;
        esac
        shift
    done
}

# require_tools HINT TOOL...: every TOOL on the PATH, else exit 2 naming it (HINT: how to get it)
require_tools() {
    local hint=$1 tool; shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "missing tool: $tool${hint:+ ($hint)}" >&2; exit 2; }
    done
}

# builds the jars (mvn package, no tests) unless --no-build was given and JAR exists; the bin/
# programs then use them as they are
build_jars() {
    if [ "$BUILD" = yes ] || [ ! -f "$1" ]; then
        echo "building (mvn -B -q -DskipTests package)..."
        (cd "$ROOT" && timeout "$STEP_TIMEOUT" mvn -B -q -DskipTests package)
    fi
    export MIRRORGATE_NO_BUILD=1
}

# the JVM options the runnable jars need (--add-opens, from the parent pom)
jvm_opens() { sed -n 's:.*<mirrorgate.jvm.opens>\(.*\)</mirrorgate.jvm.opens>.*:\1:p' "$ROOT/pom.xml"; }

# fresh_dir NAME: DIR=$PARENT/NAME, emptied
fresh_dir() {
    DIR=$PARENT/$1
    rm -rf "$DIR"
    mkdir -p "$DIR"
}

# refuses a DIR in memory (the figures are of disk I/O); sets FSTYPE
require_disk_dir() {
    FSTYPE=$(stat -f -c %T "$DIR")
    case "$FSTYPE" in
        tmpfs|ramfs) echo "$DIR is on $FSTYPE (expected: a disk filesystem; use --dir)" >&2; exit 2 ;;
    esac
}

now() { date +%s.%N; }
elapsed() { echo "$1 $2" | awk '{printf "%.3f", $2 - $1}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# value KEY FILE: the last KEY=value line's value
value() { sed -n "s/^$1=//p" "$2" | tail -1; }
# median VALUE...: the middle one (the mean of the two middle ones for an even count)
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# sync, and drop the page caches when permitted; DROPPED says whether they were
drop_caches() {
    sync
    if [ -w /proc/sys/vm/drop_caches ] && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then
        DROPPED=yes
    else
        DROPPED="no (not root or not permitted)"
    fi
}

# start_daemon NAME COMMAND...: starts COMMAND in the background, output in $DIR/NAME.out and
# .err, its pid added to PIDS; waits until its stdout has a first line (then in LINE), or until
# 127.0.0.1:$WAIT_PORT accepts connections when WAIT_PORT is set
PIDS=()
start_daemon() {
    local name=$1; shift
    # emptied here, not by the redirection below: that runs in the background child, and the
    # loop below could read the previous run's first line (its URI) before it does
    : > "$DIR/$name.out"
    : > "$DIR/$name.err"
    "$@" > "$DIR/$name.out" 2> "$DIR/$name.err" &
    PIDS+=("$!")
    for _ in $(seq 1 600); do
        if [ -n "${WAIT_PORT:-}" ]; then
            python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
                "$WAIT_PORT" 2>/dev/null && { WAIT_PORT=; return 0; }
        else
            LINE=$(head -1 "$DIR/$name.out" 2>/dev/null || true)
            [ -n "$LINE" ] && return 0
        fi
        # (a daemon that forks away exits at once: the port decides then)
        [ -n "${WAIT_PORT:-}" ] || kill -0 "${PIDS[-1]}" 2>/dev/null \
            || { echo "$name exited:" >&2; cat "$DIR/$name.err" >&2; exit 1; }
        sleep 0.1
    done
    echo "$name did not start within 60 s" >&2; cat "$DIR/$name.err" >&2; exit 1
}
# field KEY: KEY's value in LINE (a daemon's "... key=value ..." first line)
field() { echo "$LINE" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# stop_all [SIGNAL]: stops every process of PIDS (and their children: nbd-server's
# per-connection ones) with SIGNAL (default TERM)
stop_all() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        pkill -"${1:-TERM}" -P "$pid" 2>/dev/null || true
        kill -"${1:-TERM}" "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

# wait_in_sync CONFIG SECONDS: until the replicator of CONFIG says r0's initial sync is done
wait_in_sync() {
    for _ in $(seq 1 "$2"); do
        if "$ROOT/bin/replicator" -c "$1" status r0 --json 2>/dev/null | python3 -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        if o.get("resource") == "r0":
            return o
        for v in o.values():
            r = find(v)
            if r: return r
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r: return r
s = find(json.load(sys.stdin)) or {}
sys.exit(0 if s.get("resync", {}).get("state") == "done" and s.get("owedRegions") == 0 else 1)'; then
            return 0
        fi
        sleep 1
    done
    echo "the mirror was not in sync within $2 s" >&2; exit 1
}

# an rsync daemon on 127.0.0.1 serving $DIR as the module "bench" (rsync://127.0.0.1:$RSYNC_PORT/bench/);
# sets RSYNC_PORT and RSYNCD_PID
RSYNCD_PID=
start_rsyncd() {
    RSYNC_PORT=$(free_port)
    printf '%s\n' "pid file = $DIR/rsyncd.pid" "use chroot = no" "[bench]" "    path = $DIR" \
        "    read only = no" "    uid = root" "    gid = root" > "$DIR/rsyncd.conf"
    rsync --daemon --no-detach --config="$DIR/rsyncd.conf" --address=127.0.0.1 --port="$RSYNC_PORT" \
        2> "$DIR/rsyncd.log" &
    RSYNCD_PID=$!
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$RSYNC_PORT") 2>/dev/null; then break; fi
        sleep 0.1
    done
}
stop_rsyncd() {
    if [ -n "$RSYNCD_PID" ]; then kill "$RSYNCD_PID" 2>/dev/null || true; wait "$RSYNCD_PID" 2>/dev/null || true; fi
    RSYNCD_PID=
}

# the EXIT trap of every script: stops what runs (with KILL_SIGNAL, default TERM), removes DIR
# unless --keep
cleanup() {
    stop_all "${KILL_SIGNAL:-TERM}"
    stop_rsyncd
    if [ "$KEEP" = no ] && [ -n "${DIR:-}" ]; then rm -rf "$DIR"; fi
}

# same_content FILE...: prints their sha256 sums; exit 1 unless they are all equal
same_content() {
    local sums
    sums=$(sha256sum "$@")
    echo "$sums"
    [ "$(echo "$sums" | awk '{print $1}' | sort -u | wc -l)" -eq 1 ] || { echo "FAIL: the images differ" >&2; exit 1; }
}

# Two bin/replicator nodes on 127.0.0.1 (rejoin-vs-rsync.sh, standby-return-vs-rsync.sh), each
# with its config DIR/NODE.toml (resource r0 on DIR/NODE.img, regions of $REGION, the shared key
# DIR/key), its control socket and its log DIR/NODE.log; REPLICATOR is bin/replicator.
# json PYTHON-EXPRESSION-ON-d: evaluates it on the JSON on stdin (its first element for a list)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(eval(sys.argv[1]))" "$1"; }
# status NODE: r0's status over the control socket (one JSON line each way), no JVM per poll
status() {
    python3 - "$DIR/run-$1/replicator.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b'{"command":"status","resource":"r0"}\n')
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print(json.dumps(json.loads(buf)["resources"]))
PY
}
# await NODE PYTHON-CONDITION-ON-d: polls NODE's status until true (5 minutes at most)
await() {
    local deadline=$((SECONDS + 300))
    until status "$1" 2>/dev/null | json "$2" 2>/dev/null | grep -qx True; do
        [ $SECONDS -lt $deadline ] || { echo "timed out waiting on $1 for: $2" >&2; tail -20 "$DIR/$1.log" >&2; exit 1; }
        sleep 0.02
    done
}
# config NODE ROLE LISTEN-PORT PEER-PORT: writes DIR/NODE.toml
config() {
    cat > "$DIR/$1.toml" <<CONF
node = "$1"
control = "$DIR/run-$1/replicator.sock"
metrics = "off"

[resource.r0]
local = "$DIR/$1.img"
role = "$2"
remote = "127.0.0.1:$4"
remote_path = "r0"
listen = "127.0.0.1:$3"
key_file = "$DIR/key"
nbd_listen = "127.0.0.1:0"
region_size = "$REGION"
resync_rate = "unlimited"
CONF
}
# start NODE: bin/replicator run in the background (PIDS, PID_NODE)
start() {
    "$REPLICATOR" -c "$DIR/$1.toml" run >> "$DIR/$1.out" 2>> "$DIR/$1.log" &
    PIDS+=($!)
    eval "PID_$1=$!"
}
# ms ISO-TIME: the time (a log line's first field) in milliseconds since the epoch
ms() { python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print(int(t.timestamp()*1000))" "$1"; }
# logtime FILE PATTERN: the time of PATTERN's first line in FILE, in ms
logtime() { ms "$(grep -m1 "$2" "$1" | cut -d' ' -f1)"; }
# region_bytes: REGION_BYTES from --region-size's REGION (NKiB or NMiB); exit 2 on anything else
region_bytes() {
    case "$REGION" in
        *KiB) REGION_BYTES=$(( ${REGION%KiB} * 1024 )) ;;
        *MiB) REGION_BYTES=$(( ${REGION%MiB} * 1048576 )) ;;
        *) echo "--region-size: $REGION (expected: NKiB or NMiB)" >&2; exit 2 ;;
    esac
}
# two_nodes_in_sync: DIR emptied, a new key, alpha.img of SIZE_MIB MiB of random data and an empty
# beta.img, both nodes created and started (alpha primary, beta secondary), until alpha's initial
# sync is done
two_nodes_in_sync() {
    rm -rf "${DIR:?}"/*
    head -c 32 /dev/urandom > "$DIR/key"
    echo "== images: ${SIZE_MIB} MiB random in $DIR ($FSTYPE)"
    timeout "$STEP_TIMEOUT" head -c $((SIZE_MIB * 1048576)) /dev/urandom > "$DIR/alpha.img"
    truncate -s $((SIZE_MIB * 1048576)) "$DIR/beta.img"
    PA=$(free_port); PB=$(free_port)
    config alpha primary "$PA" "$PB"
    config beta secondary "$PB" "$PA"
    "$REPLICATOR" -c "$DIR/alpha.toml" create r0 > /dev/null 2>> "$DIR/alpha.log"
    "$REPLICATOR" -c "$DIR/beta.toml" create r0 > /dev/null 2>> "$DIR/beta.log"
    start beta; start alpha
    echo "== initial sync alpha -> beta"
    await alpha "d['state']=='connected' and d['resync']['state']=='done' and d['owedRegions']==0"
}
