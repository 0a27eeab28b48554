package io.mirrorgate.replicator.resync;

import java.util.concurrent.TimeUnit;

/**
 * A byte-rate limiter for the resync thread: {@link #acquire} blocks until the bytes may be
 * sent. The bucket holds at most one second of tokens; a request larger than that is allowed to
 * take the bucket into debt and the next requests wait it off, so the long-run rate stays at the
 * limit. A rate of 0 means unlimited.
 */
public final class TokenBucket {
    private final long bytesPerSecond;
    private double tokens;
    private long lastNanos;

    public TokenBucket(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException(
                    "resync rate: " + bytesPerSecond + " bytes/s (expected: >= 0, 0 = unlimited)");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.lastNanos = System.nanoTime();
        this.tokens = bytesPerSecond;
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Takes {@code bytes} tokens, sleeping while the bucket is in debt. */
    public void acquire(long bytes) throws InterruptedException {
        long waitNanos = take(bytes);
        if (waitNanos > 0) {
            TimeUnit.NANOSECONDS.sleep(waitNanos);
        }
    }

    /**
     * Takes {@code bytes} tokens without sleeping: returns how many nanoseconds the caller must
     * wait before sending them (0 = at once), the debt it took on.
     */
    public long take(long bytes) {
        if (bytesPerSecond == 0) {
            return 0;
        }
        synchronized (this) {
            refill();
            tokens -= bytes;
            return tokens >= 0 ? 0 : (long) (-tokens * 1e9 / bytesPerSecond);
        }
    }

    private void refill() {
        long now = System.nanoTime();
        tokens = Math.min(bytesPerSecond, tokens + (now - lastNanos) * (double) bytesPerSecond / 1e9);
        lastNanos = now;
    }
}
