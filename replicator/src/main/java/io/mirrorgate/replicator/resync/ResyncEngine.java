package io.mirrorgate.replicator.resync;

import io.mirrorgate.replicator.bitmap.DirtyRegions;
import io.mirrorgate.replicator.generation.SyncDirection;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.resync.ResyncProgress.State;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the owed regions from the sync source to the target on its own thread, while the
 * application keeps writing through the {@link MirrorDevice}.
 *
 * <p>Per owed region (only its owed ranges are copied: the 4 KiB blocks written while apart
 * when they are known, else all of it): wait for rate tokens, yield briefly while application
 * requests are in flight, take the mirror's range lock on the whole region (it waits for writes in flight there,
 * and new writes into the region wait for the copy), copy it in chunks (a chunk of zeroes is sent
 * as write-zeroes), flush the target, {@link DirtyRegions#markSynced}, and release the lock. A
 * region is marked synced before its lock is released, so a later write that the peer misses
 * makes it owed again, and only after a flush issued after its last write completed. Regions
 * that become owed behind the cursor are picked up by wrapping around until none is owed.
 *
 * <p>Several things are in flight at once ({@link ResyncOptions#regionsInFlight()} regions, each
 * under its own lock, with {@link ResyncOptions#chunksInFlight()} chunk copies each; more regions
 * when they are owed in part: {@link CopyWindow}): the I/O
 * completions drive each region's copy ({@link RegionCopy}) without blocking the thread they
 * arrive on, and the engine's thread ({@link CopyPass}) does the rest; see there why this cannot
 * deadlock with application writes.
 *
 * <p>Any failure (typically the peer going away) stops the pass: the state becomes PAUSED and
 * the future of {@link #start} fails. Calling {@link #start} again in the same direction resumes
 * the same resync: the regions already copied are no longer owed and are not copied again, and
 * the progress continues from where it was.
 *
 * <p>Every wait is bounded by the I/O timeout; a lock granted to a copy that was stopped is
 * released as soon as it is granted, a read buffer that arrives late is released.
 */
public final class ResyncEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResyncEngine.class);

    private final String resource;
    private final MirrorDevice mirror;
    private final DirtyRegions dirty;
    private final TokenBucket rate;
    private final ResyncOptions options;
    private final Duration ioTimeout;
    private final ExecutorService thread;
    private final ProgressTracker progress = new ProgressTracker();

    private volatile CopyPass current;
    private Future<?> running;

    /**
     * @param resource the resource name, for logs and the thread name
     * @param mirror the mirror whose range locks order copies against application writes
     * @param dirty the bitmap whose owed regions are copied
     * @param options rate limit, chunk size, I/O timeout and how much is in flight
     */
    public ResyncEngine(String resource, MirrorDevice mirror, DirtyRegions dirty,
            ResyncOptions options) {
        this.resource = resource;
        this.mirror = mirror;
        this.dirty = dirty;
        this.rate = new TokenBucket(options.bytesPerSecond());
        this.options = options;
        this.ioTimeout = options.ioTimeout();
        this.thread = Executors.newSingleThreadExecutor(DaemonThreads.named("resync-" + resource));
    }

    /**
     * Starts copying the owed regions from {@code source} to {@code target}, or resumes a paused
     * resync in the same direction. A pass still running is stopped first. The future completes
     * when no region is owed any more, or fails when the pass stopped (PAUSED).
     */
    public synchronized CompletableFuture<Void> start(SyncDirection direction, BlockDevice source,
            BlockDevice target) {
        stopAndWait();
        boolean resume = progress.state() == State.PAUSED && progress.direction() == direction;
        if (!resume) {
            progress.begin(direction);
            long regionSize = dirty.regionSize();
            for (long r = dirty.nextOwed(0); r >= 0; r = dirty.nextOwed(r + 1)) {
                long whole = regionLength(r, regionSize);
                long owed = Math.min(whole, dirty.owedBytes(r));
                progress.count(r, owed, owed == whole);
            }
        }
        progress.running();
        CopyPass pass = new CopyPass(resource, mirror, dirty, rate, options, progress, source,
                target);
        current = pass;
        CompletableFuture<Void> done = new CompletableFuture<>();
        LOG.info("resync {} resource={} direction={} owedRegions={} source={} target={}",
                resume ? "resumed" : "started", resource, direction, dirty.owedCount(),
                source.name(), target.name());
        running = thread.submit(() -> pass(pass, done));
        return done;
    }

    /** Stops the current pass (it can be resumed with {@link #start}); waits for it to stop. */
    public synchronized void pause() {
        stopAndWait();
    }

    /** Records that the replicas are split-brained: nothing is copied until resolved. */
    public synchronized void splitBrain(String message) {
        stopAndWait();
        progress.splitBrain(message);
    }

    public ResyncProgress progress() {
        return progress.snapshot();
    }

    private void stopAndWait() {
        if (running == null) {
            return;
        }
        current.stop();
        try {
            running.get(ioTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("resync pass did not stop cleanly resource={} error={}", resource,
                    e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running = null;
    }

    private void pass(CopyPass pass, CompletableFuture<Void> done) {
        try {
            pass.run();
            progress.finished();
            LOG.info("resync done resource={} bytes={}", resource, progress.snapshot().bytesDone());
            done.complete(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped(done, e);
        } catch (Exception e) {
            stopped(done, e);
        }
    }

    private void stopped(CompletableFuture<Void> done, Exception cause) {
        String reason = MirrorgateException.messageOf(cause);
        progress.paused(reason);
        LOG.warn("resync paused resource={} reason={}", resource, reason);
        done.completeExceptionally(cause);
    }

    private long regionLength(long region, long regionSize) {
        return Math.min(regionSize, mirror.size() - region * regionSize);
    }

    static boolean isZero(ByteBuf data) {
        int i = data.readerIndex();
        int end = data.writerIndex();
        for (; i + 8 <= end; i += 8) {
            if (data.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (data.getByte(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Stops the current pass and the thread. Idempotent. */
    @Override
    public synchronized void close() {
        stopAndWait();
        thread.shutdownNow();
    }
}
