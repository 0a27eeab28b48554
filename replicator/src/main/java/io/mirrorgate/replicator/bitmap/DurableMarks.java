package io.mirrorgate.replicator.bitmap;

import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The region marks of a {@link MetadataFile}'s bitmap, and which of them are on stable storage:
 * {@code marked} is what the mapping says now, {@code durable} what the last metadata sync made
 * durable. A mark that must be durable before its write may start joins the {@code open} batch;
 * the metadata syncs run on the committer thread, one at a time, each taking every bit changed
 * so far (group commit), and complete the waiters of their batch. A cleared mark rides on the
 * next sync (lazy unmarking).
 *
 * <p>Not thread-safe on its own: every method but the commit is called with {@code lock} held,
 * the lock of its {@link PersistentDirtyRegions}, which the commit takes too.
 */
final class DurableMarks {
    private static final Logger LOG = LoggerFactory.getLogger(DurableMarks.class);

    private final MetadataFile file;
    private final int regionCount;
    private final ExecutorService committer;
    private final Object lock;
    private final BitSet marked;
    private final BitSet durable;
    private Batch open = new Batch();
    private Batch syncing;
    private boolean commitQueued;
    private volatile Thread committerThread;

    /** Marks waiting for one metadata sync. */
    private static final class Batch {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final BitSet regions = new BitSet();
    }

    /** The marks of {@code file} as it was opened (all durable), synced by {@code committer}. */
    DurableMarks(MetadataFile file, ExecutorService committer, Object lock) {
        this.file = file;
        this.regionCount = Math.toIntExact(file.regionCount());
        this.committer = committer;
        this.lock = lock;
        this.marked = file.readMarks();
        this.durable = (BitSet) marked.clone();
    }

    /** The committer thread that runs the metadata syncs. */
    ExecutorService committer() {
        return committer;
    }

    /**
     * Marks regions {@code first..last} for a write about to start; the future the write must
     * wait for (the sync that makes the last of them durable), or null when all are durable.
     */
    CompletableFuture<Void> markForWrite(int first, int last) {
        boolean needOpen = false;
        boolean needSyncing = false;
        for (int r = first; r <= last; r++) {
            if (!marked.get(r)) {
                setMark(r);
                open.regions.set(r);
                needOpen = true;
            } else if (!durable.get(r)) {
                if (syncing != null && syncing.regions.get(r) && !open.regions.get(r)) {
                    needSyncing = true;
                } else {
                    needOpen = true;
                }
            }
        }
        if (needOpen) {
            queueCommit();
            return open.done;
        }
        return needSyncing ? syncing.done : null;
    }

    /** Marks {@code regions}; the future of the sync that makes them all durable. */
    CompletableFuture<Void> markDurably(BitSet regions) {
        for (int r = regions.nextSetBit(0); r >= 0; r = regions.nextSetBit(r + 1)) {
            if (!marked.get(r)) {
                setMark(r);
            }
            if (!durable.get(r)) {
                open.regions.set(r);
            }
        }
        return sync();
    }

    /** Marks every region; the future of the sync that makes them all durable. */
    CompletableFuture<Void> markAll() {
        marked.set(0, regionCount);
        file.setAllMarked();
        BitSet notDurable = (BitSet) durable.clone();
        notDurable.flip(0, regionCount);
        open.regions.or(notDurable);
        return sync();
    }

    /** Queues a sync of everything changed so far; its future. */
    CompletableFuture<Void> sync() {
        queueCommit();
        return open.done;
    }

    /** Unmarks {@code regions}; returns how many were marked. */
    int unmark(BitSet regions) {
        int count = 0;
        for (int r = regions.nextSetBit(0); r >= 0; r = regions.nextSetBit(r + 1)) {
            count += unmark(r) ? 1 : 0;
        }
        return count;
    }

    /** Clears region {@code r}'s mark in the mapping (durable after the next sync); false if unmarked. */
    boolean unmark(int r) {
        if (!marked.get(r)) {
            return false;
        }
        marked.clear(r);
        durable.clear(r);
        file.setMarked(r, false);
        return true;
    }

    boolean isMarked(int r) {
        return marked.get(r);
    }

    int markedCount() {
        return marked.cardinality();
    }

    /** A copy of the marks in the mapping now. */
    BitSet marked() {
        return (BitSet) marked.clone();
    }

    /** Refuses a blocking call on the committer thread: it would wait for itself. */
    void checkNotCommitter(String what) {
        if (Thread.currentThread() == committerThread) {
            throw new IllegalStateException(what + " called on the bitmap committer thread (it would wait for itself)");
        }
    }

    private void setMark(int r) {
        marked.set(r);
        file.setMarked(r, true);
    }

    /** Queues one metadata sync unless one is already queued (lock held). */
    void queueCommit() {
        if (!commitQueued) {
            commitQueued = true;
            committer.execute(this::commit);
        }
    }

    /** One group commit: syncs every bit changed so far, then completes the batch's waiters. */
    private void commit() {
        committerThread = Thread.currentThread();
        Batch batch;
        long[] range;
        synchronized (lock) {
            commitQueued = false;
            batch = open;
            open = new Batch();
            syncing = batch;
            range = file.takeDirtyRange();
        }
        RuntimeException failure = null;
        try {
            file.sync(range);
        } catch (RuntimeException e) {
            failure = e;
        }
        synchronized (lock) {
            syncing = null;
            if (failure == null) {
                BitSet done = (BitSet) batch.regions.clone();
                done.and(marked);
                done.andNot(open.regions); // marked again since: the next sync makes them durable
                durable.or(done);
            } else {
                open.regions.or(batch.regions);
                if (range != null) {
                    file.restoreDirtyRange(range);
                }
            }
        }
        if (failure == null) {
            batch.done.complete(null);
        } else {
            LOG.error("metadata sync failed resource={} waiting={} reason={}", file.resource(),
                    batch.regions.cardinality(), failure.getMessage());
            batch.done.completeExceptionally(failure);
        }
    }
}
