package io.mirrorgate.server.device;

/**
 * One run of bytes of the same {@link Allocation}, as a device reports it from {@link
 * BlockDevice#extents}: {@code [offset, offset + length)}, both multiples of the block size.
 */
public record Extent(long offset, long length, Allocation allocation) {

    /** What a range holds, as far as the device knows. */
    public enum Allocation {
        /** Allocated (or not known): the bytes must be read to know them. */
        DATA,
        /** Allocated, and reads as zeroes. */
        ZERO,
        /** Not allocated (a hole of a sparse file): reads as zeroes. */
        HOLE;

        /** Whether the range is known to read as zeroes. */
        public boolean readsZero() {
            return this != DATA;
        }
    }

    public Extent {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("extent offset " + offset + " length " + length
                    + " (expected: offset >= 0, length > 0)");
        }
    }

    /** The first byte after the extent. */
    public long end() {
        return offset + length;
    }
}
