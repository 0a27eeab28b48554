package io.mirrorgate.replicator.resync;

import java.time.Duration;

/**
 * How a resync copies.
 *
 * @param bytesPerSecond rate limit of the copy, 0 = unlimited
 * @param chunkSize bytes per read/write of the copy (a multiple of the block size)
 * @param ioTimeout bound of every wait of the resync thread (I/O, region lock)
 * @param regionsInFlight regions copied at the same time, each under its own range lock
 * @param chunksInFlight chunk copies (read, then write) in flight within one region
 */
public record ResyncOptions(long bytesPerSecond, int chunkSize, Duration ioTimeout,
        int regionsInFlight, int chunksInFlight) {
    public static final int DEFAULT_CHUNK = 1 << 20;
    public static final int DEFAULT_REGIONS_IN_FLIGHT = 4;
    public static final int DEFAULT_CHUNKS_IN_FLIGHT = 4;

    /** Default concurrency: {@value #DEFAULT_REGIONS_IN_FLIGHT} regions of {@value
     * #DEFAULT_CHUNKS_IN_FLIGHT} chunks each in flight. */
    public ResyncOptions(long bytesPerSecond, int chunkSize, Duration ioTimeout) {
        this(bytesPerSecond, chunkSize, ioTimeout, DEFAULT_REGIONS_IN_FLIGHT,
                DEFAULT_CHUNKS_IN_FLIGHT);
    }

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
        if (regionsInFlight < 1 || chunksInFlight < 1) {
            throw new IllegalArgumentException("resync concurrency: " + regionsInFlight
                    + " regions of " + chunksInFlight + " chunks in flight (expected: >= 1 each)");
        }
    }

    /** The same options with {@code regions} regions of {@code chunks} chunks in flight. */
    public ResyncOptions withInFlight(int regions, int chunks) {
        return new ResyncOptions(bytesPerSecond, chunkSize, ioTimeout, regions, chunks);
    }

    /** Unlimited rate, 1 MiB chunks, 60 s I/O timeout, default concurrency. */
    public static ResyncOptions defaults() {
        return new ResyncOptions(0, DEFAULT_CHUNK, Duration.ofSeconds(60));
    }
}
