package io.mirrorgate.server.device;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a {@link LocalBlockDevice} copies a write into the page cache on the caller's thread
 * ({@link LocalBlockDevice#writeNow}, and the leading ranges of a scattered write) instead of
 * handing it to its pool: never with O_DIRECT or read-only, only whole 4 KiB pages (else the
 * kernel might read the page first), at most {@value #MAX} bytes, and not for {@value
 * #PAUSE_MS} ms after such a copy took longer than {@value #SLOW_US} µs because the thread had
 * to sleep (the kernel throttles writers while write-back catches up, or the journal is full:
 * then the pool's threads wait, not the caller's event loop; being preempted on a busy machine
 * does not count).
 */
final class PageCacheWrites {
    private static final Logger LOG = LoggerFactory.getLogger(PageCacheWrites.class);
    /** The largest write done on the caller's thread. */
    static final int MAX = 1024 * 1024;
    /** A copy on the caller's thread slower than this pauses them ... */
    static final long SLOW_US = 10_000;
    /** ... for this long. */
    static final long PAUSE_MS = 1_000;
    private static final int PAGE = 4096;

    private final String device;
    private final boolean allowed;
    /** {@link System#nanoTime} until which copies on the caller's thread are declined. */
    private volatile long pausedUntil = System.nanoTime();

    PageCacheWrites(String device, boolean directIo, boolean readOnly) {
        this.device = device;
        this.allowed = !directIo && !readOnly;
    }

    /** Whether a write of {@code length} bytes at {@code offset} may go on the caller's thread now. */
    boolean eligible(long offset, int length) {
        return allowed && length > 0 && length <= MAX && offset % PAGE == 0 && length % PAGE == 0
                && System.nanoTime() - pausedUntil >= 0;
    }

    /** Runs {@code writes} on this thread, timed: pauses the copies when the kernel made it wait. */
    void timed(Runnable writes) {
        long sleptBefore = LinuxCalls.voluntarySwitches();
        long started = System.nanoTime();
        writes.run();
        long took = System.nanoTime() - started;
        // slow because the kernel made the thread wait, not because another process had the CPU
        if (took > SLOW_US * 1000L && LinuxCalls.voluntarySwitches() != sleptBefore) {
            pausedUntil = System.nanoTime() + PAUSE_MS * 1_000_000L;
            LOG.debug("device={} a write on the caller's thread took {} us: writes go through"
                    + " the pool for {} ms", device, took / 1000, PAUSE_MS);
        }
    }
}
