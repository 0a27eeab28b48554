package io.mirrorgate.replicator.resync;

import io.mirrorgate.replicator.bitmap.DirtyRegions;
import io.mirrorgate.replicator.bitmap.OwedRange;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.mirror.RangeLocks;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass of a resync, run on the engine's thread: keeps up to {@code regionsInFlight} {@link
 * RegionCopy region copies} in flight and reacts to their events, which the I/O callbacks only
 * enqueue. Everything that may block or that orders the bitmap runs here: taking rate tokens,
 * yielding to application I/O, {@link DirtyRegions#markSynced}, releasing a finished region's
 * lock, and the progress.
 *
 * <p>Per region: the rate tokens of its owed bytes are taken and their debt waited off (while still handling
 * events), a short yield while application requests hold or wait for range locks, then the
 * region's lock is requested asynchronously. Once it is granted, the region's owed ranges are
 * read (stable under the lock) and only those are copied ({@link DirtyRegions#owedRanges}: the
 * whole region, or its owed 4 KiB blocks coalesced). When its copy reports that a flush issued after its
 * last write completed succeeded (regions share the target's flushes: {@link SharedFlush}),
 * the region is marked synced, counted, and only then unlocked.
 *
 * <p>No deadlock with application writes: {@link RangeLocks} grants each request one whole range
 * at once (FIFO among overlapping requests), and a request never holds a lock while it waits for
 * another. An application write spanning two regions under copy is one request that waits for
 * both copies; each copy holds only its own region's lock and finishes without waiting for any
 * other lock, because this thread never blocks on a lock: it requests the next region's lock
 * asynchronously and keeps handling the other regions' completions (flush, markSynced, unlock)
 * meanwhile. A copy waiting behind such a write waits for the write, which waits only for copies
 * that finish on their own.
 *
 * <p>Any failure, the stop request, or a request in flight for longer than the I/O timeout ends
 * the pass: every copy is aborted, this thread waits (at most the I/O timeout) until their locks
 * are released, and the failure is thrown. The regions not yet marked synced stay owed.
 */
final class CopyPass implements RegionCopy.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(CopyPass.class);
    private static final long YIELD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int MAX_YIELDS_PER_REGION = 5;
    private static final long SETTLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * The next region: its tokens are taken; it starts at {@code dueNanos}, and its chunks are
     * paced from {@code paidNanos}, when its tokens were due.
     */
    private static final class Next {
        final long region;
        final long length;
        final long bytes;
        long paidNanos;
        long dueNanos;
        int yields;

        Next(long region, long length, long bytes, long dueNanos) {
            this.region = region;
            this.length = length;
            this.bytes = bytes;
            this.paidNanos = dueNanos;
            this.dueNanos = dueNanos;
        }
    }

    /** A paced copy to pump again at {@code atNanos}. */
    private record Wake(long atNanos, RegionCopy copy) {}

    private final String resource;
    private final MirrorDevice mirror;
    private final DirtyRegions dirty;
    private final TokenBucket rate;
    private final ResyncOptions options;
    private final ProgressTracker progress;
    private final BlockDevice source;
    private final BlockDevice target;
    private final SharedFlush flushes;
    private final long ioTimeoutNanos;
    private final LinkedBlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
    private final Map<Long, RegionCopy> inFlight = new LinkedHashMap<>();
    private final CopyWindow window;
    private final PriorityQueue<Wake> wakes = new PriorityQueue<>(
            (a, b) -> Long.compare(a.atNanos() - b.atNanos(), 0));
    private volatile boolean stopRequested;
    private Throwable failure;
    private Next next;
    private long cursor;

    CopyPass(String resource, MirrorDevice mirror, DirtyRegions dirty, TokenBucket rate,
            ResyncOptions options, ProgressTracker progress, BlockDevice source,
            BlockDevice target) {
        this.resource = resource;
        this.mirror = mirror;
        this.dirty = dirty;
        this.rate = rate;
        this.options = options;
        this.progress = progress;
        this.source = source;
        this.target = target;
        this.flushes = new SharedFlush(target);
        this.window = new CopyWindow(options.regionsInFlight(), dirty.regionSize());
        this.ioTimeoutNanos = options.ioTimeout().toNanos();
    }

    /** Asks the pass to stop (from any thread); it ends within the I/O timeout. */
    void stop() {
        stopRequested = true;
        events.add(() -> { });
    }

    /** Copies until no region is owed; throws why it stopped otherwise. */
    void run() throws Exception {
        try {
            while (true) {
                runEvents();
                if (failure == null && stopRequested) {
                    failure = new MirrorgateException(ErrorCode.ESHUTDOWN,
                            "resync of " + resource + " stopped");
                }
                if (failure != null) {
                    break;
                }
                long wakeNanos = runWakes();
                long waitNanos = tryStart();
                if (waitNanos == 0) {
                    continue;
                }
                waitNanos = Math.min(waitNanos, wakeNanos);
                if (inFlight.isEmpty() && next == null) {
                    if (dirty.owedCount() == 0) {
                        return;
                    }
                    throw new IllegalStateException("bitmap counts " + dirty.owedCount()
                            + " owed regions but nextOwed(0) finds none");
                }
                waitNanos = Math.min(waitNanos, untilTimeout());
                if (failure == null && waitNanos > 0) {
                    Runnable event = events.poll(waitNanos, TimeUnit.NANOSECONDS);
                    if (event != null) {
                        handle(event);
                    }
                }
            }
        } finally {
            abortAndSettle();
        }
        throw failure instanceof Exception e ? e : new IllegalStateException(failure);
    }

    /** Pumps the paced copies whose next chunk is due; returns the nanoseconds to the next one. */
    private long runWakes() {
        long now = System.nanoTime();
        while (!wakes.isEmpty() && wakes.peek().atNanos() - now <= 0) {
            RegionCopy copy = wakes.poll().copy();
            if (!copy.aborted()) {
                copy.pump();
            }
        }
        return wakes.isEmpty() ? Long.MAX_VALUE : Math.max(1, wakes.peek().atNanos() - now);
    }

    private void runEvents() {
        for (Runnable event = events.poll(); event != null; event = events.poll()) {
            handle(event);
        }
    }

    private void handle(Runnable event) {
        try {
            event.run();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            }
        }
    }

    /**
     * Starts the next owed region when the window has room, its tokens are due and the yield is
     * over. Returns 0 when it started one, else the nanoseconds to wait before trying again
     * ({@code Long.MAX_VALUE}: until an event).
     */
    private long tryStart() {
        if (window.full(inFlight.size(), 0)) {
            return Long.MAX_VALUE;
        }
        long now = System.nanoTime();
        if (next == null) {
            long region = nextOwedNotInFlight();
            if (region < 0) {
                return Long.MAX_VALUE;
            }
            long length = Math.min(dirty.regionSize(), mirror.size() - region * dirty.regionSize());
            long bytes = Math.min(length, dirty.owedBytes(region));
            next = new Next(region, length, bytes, now + rate.take(bytes));
        }
        if (window.full(inFlight.size(), next.bytes)) {
            return Long.MAX_VALUE;
        }
        if (now < next.dueNanos) {
            return next.dueNanos - now;
        }
        // Application requests hold or wait for range locks: give them the way, briefly. The
        // copies in flight hold or wait for one lock each and are not counted.
        if (next.yields < MAX_YIELDS_PER_REGION && mirror.busyRequests() > inFlight.size()) {
            next.yields++;
            next.dueNanos = now + YIELD_NANOS;
            return YIELD_NANOS;
        }
        long offset = next.region * dirty.regionSize();
        RegionCopy copy = new RegionCopy(next.region, offset, next.length, source, target,
                flushes, options.chunkSize(), options.chunksInFlight(), this, next.paidNanos,
                rate.bytesPerSecond());
        inFlight.put(next.region, copy);
        window.put(next.region, next.bytes);
        cursor = next.region + 1;
        next = null;
        copy.lock(mirror.lockForCopy(offset, copy.length));
        return 0;
    }

    /** The first owed region from the cursor, wrapping around, that is not being copied. */
    private long nextOwedNotInFlight() {
        for (long r = dirty.nextOwed(cursor); r >= 0; r = dirty.nextOwed(r + 1)) {
            if (!inFlight.containsKey(r)) {
                return r;
            }
        }
        for (long r = dirty.nextOwed(0); r >= 0 && r < cursor; r = dirty.nextOwed(r + 1)) {
            if (!inFlight.containsKey(r)) {
                return r;
            }
        }
        return -1;
    }

    /** Nanoseconds until the oldest request in flight times out; fails the pass if it did. */
    private long untilTimeout() {
        long now = System.nanoTime();
        long min = Long.MAX_VALUE;
        for (RegionCopy copy : inFlight.values()) {
            InFlightRequests.Pending oldest = copy.oldestPending();
            if (oldest == null) {
                continue;
            }
            long left = oldest.startNanos() + ioTimeoutNanos - now;
            if (left <= 0 && failure == null) {
                failure = new MirrorgateException(ErrorCode.ETIMEDOUT, String.format(
                        "resync of %s: %s took longer than %d ms", resource, oldest.what(),
                        options.ioTimeout().toMillis()));
            }
            min = Math.min(min, Math.max(left, 0));
        }
        return min;
    }

    @Override
    public void granted(RegionCopy copy) {
        events.add(() -> {
            if (copy.aborted()) {
                return;
            }
            // Under the region's lock no write ends in it: what is owed there now is what to copy.
            List<OwedRange> owed = dirty.owedRanges(copy.region);
            long paid = window.get(copy.region);
            if (owed.isEmpty()) {
                inFlight.remove(copy.region);
                window.remove(copy.region);
                rate.refund(paid);
                copy.finish().close();
                return;
            }
            copy.owe(owed);
            long bytes = copy.bytes();
            if (bytes < paid) {
                rate.refund(paid - bytes);
            } else if (bytes > paid) {
                rate.take(bytes - paid); // a debt that the next regions wait off
            }
            window.put(copy.region, bytes);
            copy.pump();
        });
    }

    @Override
    public void flushed(RegionCopy copy) {
        events.add(() -> {
            if (copy.aborted()) {
                return;
            }
            inFlight.remove(copy.region);
            window.remove(copy.region);
            RangeLocks.Lock lock = copy.finish();
            try {
                dirty.markSynced(copy.region);
                progress.copied(copy.region, copy.bytes());
            } finally {
                lock.close();
            }
        });
    }

    @Override
    public void failed(RegionCopy copy, Throwable cause) {
        Throwable error = cause instanceof CompletionException && cause.getCause() != null
                ? cause.getCause() : cause;
        events.add(() -> {
            if (failure == null) {
                failure = error;
            }
        });
    }

    @Override
    public void settled(RegionCopy copy) {
        events.add(() -> { });
    }

    /**
     * A copy found {@code zeroBytes} of holes and zeroes, which it sends as write-zeroes: their
     * tokens go back, and the next region may start (and pace its chunks) that much earlier.
     */
    @Override
    public void mapped(RegionCopy copy, long zeroBytes) {
        if (zeroBytes <= 0) {
            return; // nothing to give back: the pacing stays exactly as paid
        }
        events.add(() -> {
            rate.refund(zeroBytes);
            if (next != null) {
                long due = System.nanoTime() + rate.waitBefore(next.bytes);
                next.paidNanos = Math.min(next.paidNanos, due);
                next.dueNanos = Math.min(next.dueNanos, due);
            }
        });
    }

    @Override
    public void wakeAt(RegionCopy copy, long nanos) {
        events.add(() -> wakes.add(new Wake(nanos, copy)));
    }

    /** Aborts every copy and waits, at most the I/O timeout, until their locks are released. */
    private void abortAndSettle() {
        next = null;
        inFlight.values().forEach(RegionCopy::abort);
        long deadline = System.nanoTime() + ioTimeoutNanos;
        try {
            while (true) {
                runEvents();
                inFlight.values().removeIf(RegionCopy::settled);
                long left = deadline - System.nanoTime();
                if (inFlight.isEmpty() || left <= 0) {
                    break;
                }
                Runnable event = events.poll(Math.min(left, SETTLE_POLL_NANOS),
                        TimeUnit.NANOSECONDS);
                if (event != null) {
                    handle(event);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!inFlight.isEmpty()) {
            LOG.warn("resync stopped with I/O still in flight resource={} regions={}; their locks"
                    + " are released when it completes", resource, inFlight.keySet());
        }
    }
}
