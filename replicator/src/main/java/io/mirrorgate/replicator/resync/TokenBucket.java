package io.mirrorgate.replicator.resync;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A byte-rate limiter for the resync: {@link #take} says when the bytes may be sent, {@link
 * #acquire} sleeps until then. A rate of 0 means unlimited.
 *
 * <p>Send first, pay after: a request is granted at once while the bucket is not in debt, and
 * its bytes are then owed; the next request waits until the debt is paid off at the rate. The
 * bucket saves at most {@link #BURST_NANOS} of unused rate while idle. So the bytes granted in
 * any window of time exceed {@code rate × window} by at most one request and that small saving:
 * with requests of 1 MiB at 48 MiB/s, every 200 ms window holds the rate within 10%. The resync
 * takes a whole region's tokens at once and {@link RegionCopy} spreads the region's chunks over
 * the time they pay for, so regions larger than a window's worth do not go out in bursts
 * either. The clock can be injected for tests.
 */
public final class TokenBucket {
    /** The most unused rate the bucket saves (a late caller catches up that much): 2 ms worth. */
    static final long BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final long bytesPerSecond;
    private final LongSupplier nanoClock;
    private final double maxTokens;
    private double tokens;
    private long lastNanos;

    public TokenBucket(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime);
    }

    /** A bucket reading the time from {@code nanoClock} (as {@link System#nanoTime}). */
    public TokenBucket(long bytesPerSecond, LongSupplier nanoClock) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException(
                    "resync rate: " + bytesPerSecond + " bytes/s (expected: >= 0, 0 = unlimited)");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.nanoClock = nanoClock;
        this.maxTokens = bytesPerSecond * (BURST_NANOS / 1e9);
        this.lastNanos = nanoClock.getAsLong();
        this.tokens = 0;
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Takes {@code bytes} tokens, sleeping until they may be sent. */
    public void acquire(long bytes) throws InterruptedException {
        long waitNanos = take(bytes);
        if (waitNanos > 0) {
            TimeUnit.NANOSECONDS.sleep(waitNanos);
        }
    }

    /**
     * Takes {@code bytes} tokens without sleeping: returns how many nanoseconds the caller must
     * wait before sending them (0 = at once). The bytes are owed from then on.
     */
    public long take(long bytes) {
        if (bytesPerSecond == 0) {
            return 0;
        }
        synchronized (this) {
            long now = nanoClock.getAsLong();
            refill(now);
            // the debt left by earlier grants is paid off first; then these bytes go
            long waitNanos = tokens >= 0 ? 0 : (long) Math.ceil(-tokens * 1e9 / bytesPerSecond);
            tokens -= bytes;
            return waitNanos;
        }
    }

    /**
     * Gives back {@code bytes} tokens taken but not sent (a copy that found holes where it paid
     * for data). Never more than the burst is saved.
     */
    public void refund(long bytes) {
        if (bytesPerSecond == 0 || bytes <= 0) {
            return;
        }
        synchronized (this) {
            refill(nanoClock.getAsLong());
            tokens = Math.min(maxTokens, tokens + bytes);
        }
    }

    /**
     * What {@link #take} would answer now for a caller whose {@code taken} bytes were the last
     * ones taken: the nanoseconds until the debt before them is paid off.
     */
    public long waitBefore(long taken) {
        if (bytesPerSecond == 0) {
            return 0;
        }
        synchronized (this) {
            refill(nanoClock.getAsLong());
            double before = tokens + taken;
            return before >= 0 ? 0 : (long) Math.ceil(-before * 1e9 / bytesPerSecond);
        }
    }

    private void refill(long now) {
        long elapsed = now - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(maxTokens, tokens + elapsed * (double) bytesPerSecond / 1e9);
            lastNanos = now;
        }
    }
}
