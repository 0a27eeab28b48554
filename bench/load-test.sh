#!/usr/bin/env bash
# The load test of ggate-server (issue 8): well-behaved NBD clients doing mixed, verified I/O next
# to hostile ones, against one real ggate-server process, its resident memory sampled.
#
#   bench/load-test.sh [--no-build] [--good N] [--hostile N] [--seconds S] [--max-rss-mib M]
#                      [--dir PARENT] [--keep]
# (defaults: 1000 good, 200 hostile, 60 s, 1024 MiB, /var/tmp; files in PARENT/mirrorgate-load)
#
# Good clients (one thread and one NBD connection each) write random 4 KiB blocks into their own
# region of a 256 MiB image, read them back and compare, and flush now and then. Hostile ones, in
# five equal groups, reconnect whenever the server closes them: READ floods whose replies are
# never read, WRITEs that declare 1 MiB and send half, idle connections, ggate REQUEST frames
# before authentication, NBD_OPT_INFO floods without reading. The server runs with its defaults
# (64 MiB in flight per connection, 1 GiB / 768 requests per server, 30 s frame timeout) but a
# 20 s idle timeout, and -Xmx512m.
# PASS when every good request was answered correctly, the server still serves a new client
# afterwards and its peak RSS stayed under --max-rss-mib. Prints the figures and the load of the
# machine (a measurement on a busy machine says so).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=yes
GOOD=1000
HOSTILE=200
SECONDS_RUN=60
MAX_RSS=1024
PARENT=/var/tmp
KEEP=no
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) BUILD=no ;;
        --good) GOOD=$2; shift ;;
        --hostile) HOSTILE=$2; shift ;;
        --seconds) SECONDS_RUN=$2; shift ;;
        --max-rss-mib) MAX_RSS=$2; shift ;;
        --dir) PARENT=$2; shift ;;
        --keep) KEEP=yes ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "load-test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$BUILD" = yes ]; then
    (cd "$ROOT" && mvn -B -q -DskipTests package)
fi
DIR=$PARENT/mirrorgate-load
rm -rf "$DIR"
mkdir -p "$DIR"
truncate -s 256M "$DIR/disk.img"
echo "127.0.0.1 RW $DIR/disk.img disk" >"$DIR/exports"
head -c 32 /dev/urandom >"$DIR/key"
ulimit -n 65536 2>/dev/null || ulimit -n 8192 || true

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
MIRRORGATE_JAVA_OPTS="-Xmx512m" MIRRORGATE_NO_BUILD=1 "$ROOT/bin/ggate-server" -e "$DIR/exports" -k "$DIR/key" \
    --state-dir "$DIR/state" -l 127.0.0.1:0 --nbd-listen 127.0.0.1:0 --idle-timeout 20 \
    >"$DIR/server.out" 2>"$DIR/server.log" &
SERVER=$!
cleanup() {
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    [ "$KEEP" = yes ] || rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    grep -q "listening" "$DIR/server.out" 2>/dev/null && break
    sleep 0.2
done
LINE=$(grep "listening" "$DIR/server.out")
GGATE_PORT=$(echo "$LINE" | sed -E 's/.*ggate=[^ ]*:([0-9]+).*/\1/')
NBD_PORT=$(echo "$LINE" | sed -E 's/.*nbd=[^ ]*:([0-9]+).*/\1/')
JPID=$SERVER # bin/ggate-server execs java
echo "server pid=$JPID ggate=$GGATE_PORT nbd=$NBD_PORT; $GOOD good + $HOSTILE hostile clients for ${SECONDS_RUN}s"

set +e
java -Xss256k -cp "$ROOT/bench/target/bench.jar" io.mirrorgate.bench.load.LoadRun 127.0.0.1 \
    "$NBD_PORT" "$GGATE_PORT" disk "$GOOD" "$HOSTILE" "$SECONDS_RUN" "$JPID" "$MAX_RSS"
STATUS=$?
set -e
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server log: $(wc -l <"$DIR/server.log") lines, $(du -h "$DIR/server.log" | cut -f1)"
exit $STATUS
