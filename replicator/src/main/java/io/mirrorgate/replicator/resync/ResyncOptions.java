package io.mirrorgate.replicator.resync;

import java.time.Duration;

/**
 * How a resync copies.
 *
 * @param bytesPerSecond rate limit of the copy, 0 = unlimited
 * @param chunkSize bytes per read/write of the copy (a multiple of the block size)
 * @param ioTimeout bound of every wait of the resync thread (I/O, region lock)
 */
public record ResyncOptions(long bytesPerSecond, int chunkSize, Duration ioTimeout) {
    public static final int DEFAULT_CHUNK = 1 << 20;

    public ResyncOptions {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException(
                    "resync rate: " + bytesPerSecond + " bytes/s (expected: >= 0, 0 = unlimited)");
        }
        if (chunkSize <= 0 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException(
                    "resync chunk: " + chunkSize + " bytes (expected: a power of two > 0)");
        }
        if (ioTimeout.isNegative() || ioTimeout.isZero()) {
            throw new IllegalArgumentException("resync I/O timeout: " + ioTimeout
                    + " (expected: > 0)");
        }
    }

    /** Unlimited rate, 1 MiB chunks, 60 s I/O timeout. */
    public static ResyncOptions defaults() {
        return new ResyncOptions(0, DEFAULT_CHUNK, Duration.ofSeconds(60));
    }
}
