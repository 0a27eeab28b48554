#!/usr/bin/env bash
# Issue 10: resync after scattered writes. 1% of the volume changed as scattered 4 KiB writes
# (2,621 of them for 1 GiB) in 4 MiB regions while the standby is away; Mirrorgate's resync,
# timed from the standby's restart, against rsync --inplace of the whole image in the same run.
# Targets: bytes copied <= 1.1x bytes changed, and >= 10x faster than rsync.
#
#   bench/scattered-resync-vs-rsync.sh [--size-mib N] [--region-size BYTES] [--percent P]
#                                      [any other option of bench/resync-vs-rsync.sh]
# (defaults: 1024 MiB, 4 MiB regions, 1% of the 4 KiB blocks; 3 runs)
#
# It runs bench/resync-vs-rsync.sh --scattered-writes N --target-ratio 10 --max-copy-ratio 1.1,
# which prints per run the bytes copied / bytes changed and both times, then the medians, their
# ratio, the machine's load (/proc/loadavg) before and after, and PASS or BELOW / ABOVE.
# Run it on an otherwise idle machine for a figure; e.g. --size-mib 64 --runs 1 to try it.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SIZE_MIB=1024
REGION_SIZE=4194304
PERCENT=1
PASS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mib) SIZE_MIB=$2; shift ;;
        --region-size) REGION_SIZE=$2; shift ;;
        --percent) PERCENT=$2; shift ;;
        -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) PASS+=("$1") ;;
    esac
    shift
done
WRITES=$(awk -v mib="$SIZE_MIB" -v p="$PERCENT" 'BEGIN {printf "%d", mib * 256 * p / 100}')
echo "scattered resync: $SIZE_MIB MiB, $WRITES writes of 4 KiB ($PERCENT% of the blocks), regions of $REGION_SIZE bytes"
exec "$HERE/resync-vs-rsync.sh" --size-mib "$SIZE_MIB" --region-size "$REGION_SIZE" \
    --scattered-writes "$WRITES" --target-ratio 10 --max-copy-ratio 1.1 "${PASS[@]+"${PASS[@]}"}"
