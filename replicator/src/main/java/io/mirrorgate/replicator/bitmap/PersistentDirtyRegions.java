package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DirtyRegions} of a resource, persisted in its {@link MetadataFile}.
 *
 * <p>In memory: the marks as written to the mapping and those known to be on stable storage
 * ({@link DurableMarks}), what is owed ({@link OwedBlocks}: per region whole, or its 4 KiB
 * blocks), per written region an in-flight count and the sequence number of its last {@link
 * #endWrite}, and the activity set (the {@code activityRegions} most recently written regions,
 * which stay marked). The marks on disk stay coarse: the owed blocks are never synced on the
 * write path, only written at a clean {@link #close} ({@link OwedBlocksFile}).
 *
 * <p>Metadata writes ({@link DurableMarks}): {@link #beginWrite} into regions already marked
 * durably costs nothing and returns a completed future. Otherwise the bits are set in the mapping
 * and the future completes after the next metadata sync, which runs on this object's own committer
 * thread (never on the caller's: an event loop is never blocked). All markers that arrive while a
 * sync runs share the next one (group commit). Unmarking is lazy: cleared bits ride on the next
 * sync.
 *
 * <p>Recovery rule: at {@link #open}, every marked region is owed, whole unless the fine map
 * written by the clean close just before narrows it to its blocks. After a clean shutdown that is
 * exact ({@link #close} unmarked everything else); after a crash it also covers the activity set
 * and the writes in flight, which is what the invariant needs. Open sets the clean-shutdown flag
 * to false, durably; close sets it back to true after its last sync.
 *
 * <p>Futures returned by {@link #beginWrite} complete on the committer thread: callbacks must not
 * block. {@link #markAllOwed} and {@link #close} block until their sync is done. Thread-safe.
 */
public final class PersistentDirtyRegions implements DirtyRegions {
    private static final Logger LOG = LoggerFactory.getLogger(PersistentDirtyRegions.class);

    private final MetadataFile file;
    private final long regionSize;
    private final int regionShift;
    private final int regionCount;
    private final long volumeSize;
    private final Object lock = new Object();
    /** Regions the fine map of the last clean close narrowed to their owed blocks at open. */
    private final int narrowedAtOpen;
    // Everything below is guarded by lock.
    private final DurableMarks marks;
    private final OwedBlocks owed;
    private final WriteTracker writes;
    private boolean closed;

    private PersistentDirtyRegions(MetadataFile file, int activityRegions, ExecutorService committer) {
        this.file = file;
        this.regionSize = file.regionSize();
        this.regionShift = Long.numberOfTrailingZeros(regionSize);
        this.regionCount = Math.toIntExact(file.regionCount());
        this.volumeSize = file.volumeSize();
        this.writes = new WriteTracker(activityRegions);
        this.marks = new DurableMarks(file, committer, lock);
        this.owed = new OwedBlocks(regionSize, volumeSize);
        owed.oweWhole(marks.marked());
        this.narrowedAtOpen = OwedBlocksFile.restore(file, owed);
    }

    /**
     * Opens {@code file} to run: every marked region becomes owed, and the clean-shutdown flag is
     * set to false durably. Takes ownership of {@code file}: {@link #close} closes it.
     */
    public static PersistentDirtyRegions open(MetadataFile file, int activityRegions) {
        return open(file, activityRegions, BitmapLifecycle.committer(file.resource()));
    }

    /** As {@link #open(MetadataFile, int)}, with {@code committer} running the metadata syncs. */
    static PersistentDirtyRegions open(MetadataFile file, int activityRegions, ExecutorService committer) {
        PersistentDirtyRegions regions;
        try {
            regions = new PersistentDirtyRegions(file, activityRegions, committer);
            file.markRunning();
        } catch (RuntimeException e) {
            committer.shutdownNow();
            try {
                file.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        long owedCount = regions.owedCount();
        if (file.wasCleanShutdown()) {
            LOG.info("bitmap opened resource={} cleanShutdown=true owedRegions={} partlyOwed={}", file.resource(),
                    owedCount, regions.narrowedAtOpen);
        } else {
            LOG.warn("bitmap opened after an unclean shutdown resource={} owedRegions={} (every marked region"
                    + " is resynced)", file.resource(), owedCount);
        }
        return regions;
    }

    /** Opens the metadata file at {@code path} for a local replica of {@code volumeSize} bytes. */
    public static PersistentDirtyRegions open(Path path, long volumeSize, int activityRegions) {
        return open(MetadataFile.open(path, volumeSize), activityRegions);
    }

    /** The metadata file (also the {@link io.mirrorgate.replicator.generation.GenerationStore}). */
    public MetadataFile metadata() {
        return file;
    }

    /** Whether the previous run ended with a clean shutdown. */
    public boolean wasCleanShutdown() {
        return file.wasCleanShutdown();
    }

    @Override
    public long regionSize() {
        return regionSize;
    }

    @Override
    public long regionCount() {
        return regionCount;
    }

    @Override
    public CompletableFuture<Void> beginWrite(long offset, long length) {
        checkRange(offset, length);
        if (length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        int first = (int) (offset >>> regionShift);
        int last = (int) ((offset + length - 1) >>> regionShift);
        CompletableFuture<Void> wait = null;
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(closedException());
            }
            writes.begin(first, last);
            wait = marks.markForWrite(first, last);
        }
        return wait == null ? CompletableFuture.completedFuture(null) : wait.copy();
    }

    @Override
    public void endWrite(long offset, long length, boolean replicated) {
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        int first = (int) (offset >>> regionShift);
        int last = (int) ((offset + length - 1) >>> regionShift);
        synchronized (lock) {
            if (closed) {
                return; // the marks stay on disk; the next open owes them all
            }
            writes.end(first, last);
            if (!replicated) {
                owed.oweRange(offset, length);
            }
        }
    }

    /**
     * The position in the history of ended writes, to take <em>before</em> issuing the flushes of
     * both replicas; pass it to {@link #bothDurable(long)} once both succeeded. This is the
     * race-free form of {@link #bothDurable()}: a write that ends while the flushes run is not
     * counted as durable.
     */
    public long durabilityMark() {
        synchronized (lock) {
            return writes.mark();
        }
    }

    /** Every write that ended before the call that returned {@code mark} is durable on both sides. */
    public void bothDurable(long mark) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            writes.durableUpTo(mark);
            if (marks.unmark(writes.takeUnmarkable(owed.regions(), false)) > 0) {
                marks.queueCommit();
            }
        }
    }

    @Override
    public void bothDurable() {
        bothDurable(durabilityMark());
    }

    @Override
    public boolean isOwed(long region) {
        checkRegion(region);
        synchronized (lock) {
            return owed.isOwed((int) region);
        }
    }

    @Override
    public long owedCount() {
        synchronized (lock) {
            return owed.count();
        }
    }

    @Override
    public List<OwedRange> owedRanges(long region) {
        checkRegion(region);
        synchronized (lock) {
            return owed.ranges((int) region);
        }
    }

    @Override
    public long owedBytes(long region) {
        checkRegion(region);
        synchronized (lock) {
            return owed.bytes((int) region);
        }
    }

    @Override
    public long owedBytes() {
        synchronized (lock) {
            return owed.bytes();
        }
    }

    @Override
    public long nextOwed(long fromRegion) {
        if (fromRegion < 0) {
            throw new IllegalArgumentException("fromRegion: " + fromRegion + " (expected: >= 0)");
        }
        if (fromRegion >= regionCount) {
            return -1;
        }
        synchronized (lock) {
            return owed.next((int) fromRegion);
        }
    }

    @Override
    public void markSynced(long region) {
        checkRegion(region);
        int r = (int) region;
        synchronized (lock) {
            if (closed) {
                return; // stays marked on disk: resynced again after the next open
            }
            owed.clear(r);
            if (writes.takeIfUnmarkable(r, owed.regions()) && marks.unmark(r)) {
                marks.queueCommit();
            }
        }
    }

    @Override
    public void markAllOwed() {
        CompletableFuture<Void> wait;
        synchronized (lock) {
            if (closed) {
                throw closedException();
            }
            marks.checkNotCommitter("markAllOwed");
            owed.oweWhole(0, regionCount - 1);
            wait = marks.markAll();
        }
        await(wait);
        LOG.info("all regions owed resource={} regions={}", file.resource(), regionCount);
    }

    /**
     * Marks {@code regions} owed, durably, in one metadata sync (the peer's marked regions at a
     * rejoin: they are copied as if written here while apart). Blocks until durable.
     */
    @Override
    public void markOwed(BitSet regions) {
        CompletableFuture<Void> wait;
        synchronized (lock) {
            if (closed) {
                throw closedException();
            }
            marks.checkNotCommitter("markOwed");
            BitSet add = (BitSet) regions.clone();
            if (add.length() > regionCount) {
                throw new IllegalArgumentException("regions: up to " + (add.length() - 1)
                        + " (expected: below " + regionCount + ")");
            }
            owed.oweWhole(add);
            wait = marks.markDurably(add);
        }
        await(wait);
    }

    /**
     * The regions marked in the mapping now: where this replica may differ from its peer (owed
     * regions, the activity set, writes not yet known durable on both sides).
     */
    public BitSet markedRegions() {
        synchronized (lock) {
            return marks.marked();
        }
    }

    /**
     * Unmarks every region that is neither owed nor being written, the activity set included, and
     * waits until that is on disk: what {@link #close} does, without closing. For a role change,
     * after both replicas were flushed and {@link #bothDurable(long)} was reported: the marks
     * left are exactly the owed regions.
     */
    public void settle() {
        CompletableFuture<Void> wait;
        synchronized (lock) {
            if (closed) {
                throw closedException();
            }
            marks.checkNotCommitter("settle");
            int unmarked = marks.unmark(writes.takeUnmarkable(owed.regions(), true));
            wait = marks.sync();
            LOG.debug("bitmap settled resource={} unmarked={} stillMarked={}", file.resource(), unmarked,
                    marks.markedCount());
        }
        await(wait);
    }

    /**
     * The replicas are identical (a secondary told by its primary that the resync completed):
     * nothing is owed and every region not being written is unmarked, durably.
     */
    public void clearAll() {
        CompletableFuture<Void> wait;
        synchronized (lock) {
            if (closed) {
                throw closedException();
            }
            marks.checkNotCommitter("clearAll");
            owed.clearAll();
            marks.unmark(writes.takeUnmarkable(owed.regions(), true));
            BitSet untracked = marks.marked();
            for (int r = untracked.nextSetBit(0); r >= 0; r = untracked.nextSetBit(r + 1)) {
                if (writes.takeIfUnmarkable(r, owed.regions())) {
                    marks.unmark(r);
                }
            }
            wait = marks.sync();
        }
        await(wait);
    }

    /** Regions marked in the mapping right now (durable or about to be). */
    public long markedCount() {
        synchronized (lock) {
            return marks.markedCount();
        }
    }

    /** Whether region {@code region} is marked (in the mapping; durable once its write began). */
    public boolean isMarked(long region) {
        checkRegion(region);
        synchronized (lock) {
            return marks.isMarked((int) region);
        }
    }

    /** Metadata syncs done so far (bitmap and header): a counter for metrics. */
    public long metadataSyncs() {
        return file.syncCount();
    }

    @Override
    public void close() {
        CompletableFuture<Void> last;
        Map<Integer, BitSet> partial;
        synchronized (lock) {
            if (closed) {
                return;
            }
            marks.checkNotCommitter("close");
            closed = true;
            partial = owed.partialSnapshot(writes.inFlight()); // a write in flight: owed whole
            int unmarked = marks.unmark(writes.takeUnmarkable(owed.regions(), true));
            last = marks.sync();
            LOG.debug("bitmap closing resource={} unmarked={} stillMarked={}", file.resource(), unmarked,
                    marks.markedCount());
        }
        RuntimeException failure = null;
        try {
            await(last);
            file.markCleanShutdown(sequence -> OwedBlocksFile.store(file, sequence, partial));
        } catch (RuntimeException e) {
            LOG.error("bitmap close: metadata left marked unclean resource={} reason={}", file.resource(),
                    MirrorgateException.messageOf(e));
            failure = e;
        }
        failure = BitmapLifecycle.stop(marks.committer(), file, failure);
        if (failure != null) {
            throw failure;
        }
    }

    private static void await(CompletableFuture<Void> future) {
        BitmapLifecycle.await(future);
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || length > volumeSize - offset) {
            throw new IllegalArgumentException("range offset=" + offset + " length=" + length
                    + " (expected: within the volume of " + volumeSize + " bytes)");
        }
    }

    private void checkRegion(long region) {
        if (region < 0 || region >= regionCount) {
            throw new IllegalArgumentException("region " + region + " (expected: 0.." + (regionCount - 1) + ")");
        }
    }

    private MirrorgateException closedException() {
        return new MirrorgateException(ErrorCode.ESHUTDOWN, "dirty-region bitmap closed: " + file.path());
    }
}
