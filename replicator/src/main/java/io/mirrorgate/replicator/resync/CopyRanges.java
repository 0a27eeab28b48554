package io.mirrorgate.replicator.resync;

import io.mirrorgate.replicator.bitmap.OwedRange;
import io.mirrorgate.server.device.Extent;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte ranges a region copy writes (what the peer is owed in the region, clipped to it), in
 * increasing order, and how far the copy got. Not thread-safe: the copy's monitor guards it.
 */
final class CopyRanges {
    private final List<OwedRange> ranges;
    private int index;
    private long position;

    private CopyRanges(List<OwedRange> ranges) {
        this.ranges = ranges;
        this.position = ranges.isEmpty() ? 0 : ranges.get(0).offset();
    }

    /** The whole region {@code [offset, offset + length)}. */
    static CopyRanges whole(long offset, long length) {
        return new CopyRanges(List.of(new OwedRange(offset, length)));
    }

    /** {@code owed} (sorted, disjoint) clipped to {@code [offset, offset + length)}. */
    static CopyRanges within(List<OwedRange> owed, long offset, long length) {
        long end = offset + length;
        List<OwedRange> clipped = new ArrayList<>(owed.size());
        for (OwedRange r : owed) {
            long from = Math.max(r.offset(), offset);
            long to = Math.min(r.end(), end);
            if (from < to) {
                clipped.add(new OwedRange(from, to - from));
            }
        }
        return new CopyRanges(clipped);
    }

    /** Whether every range was issued. */
    boolean done() {
        return index >= ranges.size();
    }

    /** The next byte to issue (when not {@link #done}). */
    long position() {
        return position;
    }

    /** The end of the range {@link #position} is in. */
    long rangeEnd() {
        return ranges.get(index).end();
    }

    /** {@code n} bytes from {@link #position} were issued (never past {@link #rangeEnd}). */
    void advance(long n) {
        position += n;
        if (position >= rangeEnd()) {
            index++;
            if (index < ranges.size()) {
                position = ranges.get(index).offset();
            }
        }
    }

    /** The first byte of the first range (the region's start when there is none). */
    long first(long regionOffset) {
        return ranges.isEmpty() ? regionOffset : ranges.get(0).offset();
    }

    /** The byte after the last range. */
    long last(long regionOffset) {
        return ranges.isEmpty() ? regionOffset : ranges.get(ranges.size() - 1).end();
    }

    /** Bytes in all ranges. */
    long bytes() {
        long total = 0;
        for (OwedRange r : ranges) {
            total += r.length();
        }
        return total;
    }

    /** The bytes of the ranges that {@code extents} (sorted) say read as zeroes. */
    long zeroBytes(List<Extent> extents) {
        long total = 0;
        int e = 0;
        for (OwedRange r : ranges) {
            while (e < extents.size() && extents.get(e).end() <= r.offset()) {
                e++;
            }
            for (int i = e; i < extents.size() && extents.get(i).offset() < r.end(); i++) {
                Extent x = extents.get(i);
                if (x.allocation().readsZero()) {
                    total += Math.min(x.end(), r.end()) - Math.max(x.offset(), r.offset());
                }
            }
        }
        return total;
    }
}
