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

. "$(dirname "$0")/lib.sh"
GOOD=1000
HOSTILE=200
SECONDS_RUN=60
MAX_RSS=1024
OPTIONS=(--good=GOOD --hostile=HOSTILE --seconds=SECONDS_RUN --max-rss-mib=MAX_RSS)
parse_options "$@"

build_jars "$ROOT/bench/target/bench.jar"
fresh_dir mirrorgate-load
trap cleanup EXIT
truncate -s 256M "$DIR/disk.img"
echo "127.0.0.1 RW $DIR/disk.img disk" >"$DIR/exports"
head -c 32 /dev/urandom >"$DIR/key"
ulimit -n 65536 2>/dev/null || ulimit -n 8192 || true

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# its first line: ggate-server listening ggate=HOST:PORT nbd=HOST:PORT exports=1
start_daemon server env MIRRORGATE_JAVA_OPTS="-Xmx512m" "$ROOT/bin/ggate-server" -e "$DIR/exports" \
    -k "$DIR/key" --state-dir "$DIR/state" -l 127.0.0.1:0 --nbd-listen 127.0.0.1:0 --idle-timeout 20
GGATE_PORT=$(field ggate); GGATE_PORT=${GGATE_PORT##*:}
NBD_PORT=$(field nbd); NBD_PORT=${NBD_PORT##*:}
JPID=${PIDS[-1]} # env and bin/ggate-server exec java
echo "server pid=$JPID ggate=$GGATE_PORT nbd=$NBD_PORT; $GOOD good + $HOSTILE hostile clients for ${SECONDS_RUN}s"

set +e
java -Xss256k -cp "$ROOT/bench/target/bench.jar" io.mirrorgate.bench.load.LoadRun 127.0.0.1 \
    "$NBD_PORT" "$GGATE_PORT" disk "$GOOD" "$HOSTILE" "$SECONDS_RUN" "$JPID" "$MAX_RSS"
STATUS=$?
set -e
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server log: $(wc -l <"$DIR/server.err") lines, $(du -h "$DIR/server.err" | cut -f1)"
exit $STATUS
