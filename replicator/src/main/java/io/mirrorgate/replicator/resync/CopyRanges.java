package io.mirrorgate.replicator.resync;

import io.mirrorgate.replicator.bitmap.OwedRange;
import io.mirrorgate.server.device.Extent;
import io.mirrorgate.server.device.Scatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The byte ranges a region copy writes (what the peer is owed in the region, clipped to it), in
 * increasing order, how far the copy got, and, once {@link #map mapped}, the source's allocation
 * of them, which cuts them into the pieces the copy issues: a hole or zero extent whole (one
 * write-zeroes), data in chunks. Not thread-safe: the copy's monitor guards it.
 */
final class CopyRanges {
    private final List<OwedRange> ranges;
    private int index;
    private long position;
    /** The source's allocation of the copied span once known, and the extent being issued. */
    private List<Extent> extents;
    private int extentIndex;

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

    /** Learns the source's allocation ({@code extents}, sorted); returns {@link #zeroBytes} of it. */
    long map(List<Extent> found) {
        extents = found;
        return zeroBytes(found);
    }

    /** Whether the source's allocation is known. */
    boolean mapped() {
        return extents != null;
    }

    /** Whether the next piece reads as zeroes in the source (when {@link #mapped} and not {@link #done}). */
    boolean nextReadsZero() {
        return extentAt(position).allocation().readsZero();
    }

    /**
     * Takes the next piece: up to the end of its range and of its extent, and at most {@code
     * chunkSize} bytes of data; returns its length, {@link #position} moves past it.
     */
    long take(int chunkSize) {
        Extent extent = extentAt(position);
        long extentEnd = Math.min(rangeEnd(), extent.end());
        long n = extent.allocation().readsZero() ? extentEnd - position : Math.min(chunkSize, extentEnd - position);
        advance(n);
        return n;
    }

    /**
     * Takes the next pieces of data for one scattered write: the next piece (as {@link #take}),
     * then whole pieces after it while they are data, all fit in {@code chunkSize} bytes and
     * number at most {@code maxRanges}. Call when the next piece is data ({@link
     * #nextReadsZero} false).
     */
    Scatter takeScatter(int chunkSize, int maxRanges) {
        long[] offsets = new long[Math.min(maxRanges, 16)];
        int[] lengths = new int[offsets.length];
        int count = 0;
        long total = 0;
        do {
            if (count == offsets.length) {
                offsets = Arrays.copyOf(offsets, Math.min(maxRanges, count * 2));
                lengths = Arrays.copyOf(lengths, offsets.length);
            }
            offsets[count] = position;
            lengths[count] = (int) take(chunkSize);
            total += lengths[count++];
        } while (count < maxRanges && !done() && !nextReadsZero()
                && total + nextDataLength(chunkSize) <= chunkSize);
        return new Scatter(Arrays.copyOf(offsets, count), Arrays.copyOf(lengths, count));
    }

    /** What {@link #take} would take now, when the next piece is data. */
    private long nextDataLength(int chunkSize) {
        return Math.min(chunkSize, Math.min(rangeEnd(), extentAt(position).end()) - position);
    }

    /** The extent holding {@code pos} (positions only grow). */
    private Extent extentAt(long pos) {
        while (extents.get(extentIndex).end() <= pos) {
            extentIndex++;
        }
        return extents.get(extentIndex);
    }
}
