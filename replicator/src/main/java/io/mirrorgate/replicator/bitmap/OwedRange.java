package io.mirrorgate.replicator.bitmap;

/** A byte range of the volume that the peer is owed: {@code [offset, offset + length)}. */
public record OwedRange(long offset, long length) {

    public OwedRange {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("owed range offset=" + offset + " length=" + length
                    + " (expected: offset >= 0, length > 0)");
        }
    }

    /** The first byte after the range. */
    public long end() {
        return offset + length;
    }
}
