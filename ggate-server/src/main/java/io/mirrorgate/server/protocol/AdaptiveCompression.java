package io.mirrorgate.server.protocol;

/**
 * Decides, per connection, whether the next payload is worth an LZ4 attempt, so that
 * incompressible data (encrypted volumes, media, random test images) never pays for
 * compression it does not get.
 *
 * <p>Every attempt is recorded with what it saved. An attempt that saves less than an eighth
 * of the payload is a miss: the next {@code skip} payloads are sent as they are without an
 * attempt, and {@code skip} doubles with each further miss (1, 2, 4, ... up to
 * {@value #MAX_SKIP}); a hit resets it. On incompressible data that is one attempt every
 * {@value #MAX_SKIP} payloads once settled, and a return to compressible data is noticed
 * within {@value #MAX_SKIP} payloads. Not thread-safe: one instance per channel, used on
 * its event loop.
 */
public final class AdaptiveCompression {
    /** The longest run of payloads sent without an attempt. */
    public static final int MAX_SKIP = 256;

    private int backoff;
    private int skipLeft;
    private long attempts;
    private long skipped;
    private long hits;

    /** Whether the next payload should be compressed; false counts it as skipped. */
    public boolean shouldAttempt() {
        if (skipLeft > 0) {
            skipLeft--;
            skipped++;
            return false;
        }
        attempts++;
        return true;
    }

    /**
     * Records an attempt on {@code length} bytes that produced {@code compressedLength} bytes
     * ({@code -1}: not smaller).
     */
    public void record(int length, int compressedLength) {
        if (compressedLength >= 0 && compressedLength <= length - (length >>> 3)) {
            hits++;
            backoff = 0;
            skipLeft = 0;
        } else {
            backoff = backoff == 0 ? 1 : Math.min(MAX_SKIP, backoff * 2);
            skipLeft = backoff;
        }
    }

    /** Payloads that LZ4 was tried on. */
    public long attempts() {
        return attempts;
    }

    /** Payloads sent as they are without an attempt. */
    public long skipped() {
        return skipped;
    }

    /** Attempts that saved at least an eighth. */
    public long hits() {
        return hits;
    }
}
