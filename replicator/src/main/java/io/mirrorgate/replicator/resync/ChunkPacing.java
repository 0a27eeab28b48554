package io.mirrorgate.replicator.resync;

/**
 * The pacing of one region copy at the resync rate: a data chunk is due at {@code startNanos +
 * (data bytes issued before it) / rate}, so that a region's bytes are spread over the time the
 * rate gives it rather than sent in one burst. Remembers the wake-up already asked for, so that
 * a copy asks once per due time. Not thread-safe: the copy's monitor guards it.
 */
final class ChunkPacing {
    private final long startNanos;
    private final double nanosPerByte;
    /** Data bytes issued so far (what the pacing counts). */
    private long pacedBytes;
    private boolean wakeRequested;
    private long wakeNanos;

    /** Paced at {@code bytesPerSecond} (0: unpaced) from {@code startNanos} ({@link System#nanoTime}). */
    ChunkPacing(long startNanos, long bytesPerSecond) {
        this.startNanos = startNanos;
        this.nanosPerByte = bytesPerSecond > 0 ? 1e9 / bytesPerSecond : 0;
    }

    /** Whether chunks wait for their time at all. */
    boolean paced() {
        return nanosPerByte > 0;
    }

    /** When the next data chunk is due ({@link System#nanoTime}). */
    long due() {
        return startNanos + (long) (pacedBytes * nanosPerByte);
    }

    /** {@code bytes} of data were issued (holes and zero extents are not paced: 0). */
    void issued(long bytes) {
        pacedBytes += bytes;
    }

    /** Whether to ask for a wake-up at {@code due}: false when that one was asked for already. */
    boolean askWake(long due) {
        if (wakeRequested && wakeNanos == due) {
            return false;
        }
        wakeRequested = true;
        wakeNanos = due;
        return true;
    }
}
