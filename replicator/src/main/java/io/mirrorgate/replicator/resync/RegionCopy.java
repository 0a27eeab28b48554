package io.mirrorgate.replicator.resync;

import io.mirrorgate.replicator.bitmap.OwedRange;
import io.mirrorgate.replicator.mirror.RangeLocks;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.replicator.resync.InFlightRequests.Pending;
import io.mirrorgate.server.device.Scatter;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The copy of one region, driven by I/O completions: once its range lock is granted and {@link
 * #pump} is called, it asks the source for the region's allocation ({@link
 * BlockDevice#extents}; of the span of its owed ranges when {@link #owe} narrowed the copy to
 * them: then only those ranges are read and written, in order); the source's holes and zero extents become one write-zeroes each on the
 * target (which may punch a hole there: a sparse source stays sparse on the target), and the
 * data extents are copied in chunks, up to {@code maxChunks} chunk copies in flight; each chunk's write (or
 * write-zeroes) is issued as soon as its read completes, and the next chunk's read as soon as a
 * write completed. When every chunk is written, it requests a flush of the target issued after
 * that ({@link SharedFlush}: one flush may serve several regions); its success is reported to
 * the {@link Listener}, which marks the region synced and releases the lock on
 * the engine thread.
 *
 * <p>The callbacks run on whatever thread completes the I/O (a Netty event loop, the local
 * device's pool, or the caller when the future is already complete): they only issue
 * asynchronous requests, update this object's small state under its monitor (never held while
 * calling a device) and hand events to the listener, which must only enqueue them. A re-entrant
 * {@link #pump} (a device that completes inline) returns at once and the outer pump continues,
 * so the stack does not grow with the number of chunks.
 *
 * <p>To a target that takes scattered writes ({@link BlockDevice#maxScatteredRanges} > 1: a
 * peer), data pieces smaller than a chunk go together: those that fit in one chunk are read
 * together ({@link BlockDevice#readScattered}) and written as one request ({@link
 * CopyRanges#takeScatter}), so that a region's scattered owed blocks cost one round trip, not
 * one each.
 *
 * <p>Buffer ownership ({@link BlockDevice}): a read buffer is released exactly once, after its
 * write (or write-zeroes) completed, or at once when the copy was aborted before its write was
 * issued.
 *
 * <p>Paced by the rate limit ({@link ChunkPacing}): a data chunk is not issued before {@code
 * startNanos + (data bytes issued before it) / rate}, so that a region's bytes are spread over the
 * time the rate gives it rather than sent in one burst (the next region's time starts where this
 * one's ends). Holes and
 * zero extents are not paced: their tokens go back to the pass ({@link Listener#mapped}). A chunk not due
 * yet asks the listener to {@link Listener#wakeAt pump again} at its time.
 *
 * <p>{@link #abort} (the pass failed or stops) issues nothing more; the range lock is released
 * only when no I/O of this region is in flight any more, by whichever thread sees that last
 * (a lock granted after the abort is released at once). An aborted region is never reported
 * flushed, so it is never marked synced and is copied again by the next pass.
 */
final class RegionCopy {

    /** Where a copy reports, from any thread; implementations only enqueue. */
    interface Listener {
        /** The range lock was granted: the engine checks the region is still owed, then pumps. */
        void granted(RegionCopy copy);

        /** Every chunk was written and the flush issued after the last one succeeded. */
        void flushed(RegionCopy copy);

        /** An I/O failed; the copy stopped issuing requests. */
        void failed(RegionCopy copy, Throwable cause);

        /** An aborted copy released its lock. */
        void settled(RegionCopy copy);

        /** The next chunk is due at {@code nanos} ({@link System#nanoTime}): call {@link #pump} then. */
        void wakeAt(RegionCopy copy, long nanos);

        /** The source's allocation is known: {@code zeroBytes} go as write-zeroes, not data. */
        default void mapped(RegionCopy copy, long zeroBytes) {}
    }

    final long region;
    final long offset;
    final long length;
    private final BlockDevice source;
    private final BlockDevice target;
    private final SharedFlush flushes;
    private final int chunkSize;
    private final int maxChunks;
    private final Listener listener;
    private final ChunkPacing pacing;

    private final InFlightRequests pending = new InFlightRequests();
    private RangeLocks.Lock lock;
    private boolean lockReleased;
    private boolean aborted;
    private boolean pumping;
    /**
     * What is left to issue: the whole region, or the owed ranges given by {@link #owe}; and the
     * source's allocation of it once mapped.
     */
    private CopyRanges todo;
    private int chunks;
    private int ops;
    private boolean flushIssued;
    private boolean mapping;

    RegionCopy(long region, long offset, long length, BlockDevice source, BlockDevice target,
            SharedFlush flushes, int chunkSize, int maxChunks, Listener listener) {
        this(region, offset, length, source, target, flushes, chunkSize, maxChunks, listener,
                System.nanoTime(), 0);
    }

    /**
     * A copy paced at {@code bytesPerSecond} (0: unpaced) from {@code startNanos}, when its rate
     * tokens are due.
     */
    RegionCopy(long region, long offset, long length, BlockDevice source, BlockDevice target,
            SharedFlush flushes, int chunkSize, int maxChunks, Listener listener, long startNanos,
            long bytesPerSecond) {
        this.region = region;
        this.offset = offset;
        this.length = length;
        this.source = source;
        this.target = target;
        this.flushes = flushes;
        this.chunkSize = chunkSize;
        this.maxChunks = maxChunks;
        this.listener = listener;
        this.todo = CopyRanges.whole(offset, length);
        this.pacing = new ChunkPacing(startNanos, bytesPerSecond);
    }

    /** Waits (asynchronously) for the range lock requested by {@code request}. */
    void lock(CompletableFuture<RangeLocks.Lock> request) {
        Pending op;
        synchronized (this) {
            op = pending.begin("lock region " + region);
        }
        request.whenComplete((granted, error) -> {
            boolean release;
            synchronized (this) {
                pending.end(op);
                lock = granted;
                release = granted != null && aborted;
                lockReleased |= release;
            }
            if (error != null) {
                fail(error);
            } else if (release) {
                granted.close();
                listener.settled(this);
            } else {
                listener.granted(this);
            }
        });
    }

    /**
     * Copies only {@code owed} (clipped to the region) instead of the whole region: set once the
     * lock is granted, before the first {@link #pump}.
     */
    synchronized void owe(List<OwedRange> owed) {
        todo = CopyRanges.within(owed, offset, length);
    }

    /** The bytes this copy writes. */
    synchronized long bytes() {
        return todo.bytes();
    }

    /** Issues chunk copies while fewer than {@code maxChunks} are in flight; then the flush. */
    void pump() {
        synchronized (this) {
            if (pumping) {
                return;
            }
            pumping = true;
        }
        while (true) {
            long pos;
            long n;
            Pending op;
            boolean flush = false;
            boolean map = false;
            boolean zeroes = false;
            boolean wait = false;
            long due = 0;
            Scatter scatter = null;
            synchronized (this) {
                if (pacing.paced() && !aborted && todo.mapped() && !todo.done()
                        && chunks < maxChunks && !todo.nextReadsZero()) {
                    due = pacing.due();
                    wait = due - System.nanoTime() > 0;
                }
                if (!aborted && !todo.mapped()) {
                    pumping = false;
                    if (mapping) {
                        return;
                    }
                    mapping = true;
                    map = true;
                    ops++;
                    op = pending.begin("allocation of " + source.name() + " offset " + offset);
                    pos = 0;
                    n = 0;
                } else if (wait) {
                    pumping = false;
                    if (!pacing.askWake(due)) {
                        return; // already asked for
                    }
                    op = null;
                    pos = 0;
                    n = 0;
                } else if (aborted || todo.done() || chunks >= maxChunks) {
                    pumping = false;
                    if (aborted || !todo.done() || chunks > 0 || flushIssued) {
                        return;
                    }
                    flushIssued = true;
                    flush = true;
                    ops++;
                    op = pending.begin("flush " + target.name());
                    pos = 0;
                    n = 0;
                } else {
                    pos = todo.position();
                    zeroes = todo.nextReadsZero();
                    int gather = zeroes ? 1 : target.maxScatteredRanges();
                    if (gather > 1) {
                        scatter = todo.takeScatter(chunkSize, gather);
                        n = scatter.bytes();
                    } else {
                        n = todo.take(chunkSize);
                    }
                    pacing.issued(zeroes ? 0 : n);
                    chunks++;
                    ops++;
                    op = pending.begin((zeroes ? "write-zeroes " + target.name() : "read " + source.name())
                            + " offset " + pos);
                }
            }
            if (map) {
                map(op);
                return;
            }
            if (wait) {
                listener.wakeAt(this, due);
                return;
            }
            if (flush) {
                issueFlush(op);
                return;
            }
            if (zeroes) {
                issueZeroes(pos, n, op);
            } else if (scatter != null && scatter.count() > 1) {
                issueGathered(scatter, op);
            } else {
                issueRead(pos, (int) n, op);
            }
        }
    }

    /** Learns the source's allocation of the span to copy ({@link SourceMap}), then pumps. */
    private void map(Pending op) {
        long from;
        long to;
        synchronized (this) {
            from = todo.first(offset);
            to = todo.last(offset);
        }
        SourceMap.of(source, from, to - from).thenAccept(found -> {
            long zeroBytes;
            synchronized (this) {
                zeroBytes = todo.map(found);
            }
            listener.mapped(this, zeroBytes);
            ended(op, false);
            pump();
        });
    }

    private void issueZeroes(long pos, long n, Pending op) {
        call(() -> target.writeZeroes(pos, n, false)).whenComplete((v, error) -> {
            if (error != null) {
                fail(error);
            }
            ended(op, true);
            pump();
        });
    }

    private void issueRead(long pos, int n, Pending readOp) {
        // a block the page cache holds is read right here (no hop to the I/O pool and back);
        // a chunk that reads as zeroes goes as write-zeroes
        copy(pos, readOp, () -> BlockDevice.readPreferringNow(source, pos, n),
                data -> ResyncEngine.isZero(data) ? target.writeZeroes(pos, n, false)
                        : BlockDevice.writePreferringNow(target, pos, data, false));
    }

    /**
     * Small data pieces read together ({@link BlockDevice#readScattered}: one task of a local
     * device's pool) and written together, as one request to a target that takes scattered
     * writes (a peer: one round trip for a region's scattered owed blocks). Pieces that read as
     * zeroes go as data here: they are small, and compression shrinks them.
     */
    private void issueGathered(Scatter scatter, Pending readOp) {
        copy(scatter.offset(0), readOp, () -> source.readScattered(scatter),
                data -> target.writeScattered(scatter, data, false));
    }

    /**
     * Reads, then writes what was read unless the copy was aborted meanwhile; the read buffer is
     * released once its write completed (or at once, when the write is not issued).
     */
    private void copy(long pos, Pending readOp, Supplier<CompletableFuture<ByteBuf>> read,
            Function<ByteBuf, CompletableFuture<Void>> write) {
        call(read).whenComplete((data, error) -> {
            if (error != null) {
                fail(error);
                ended(readOp, true);
                return;
            }
            Pending writeOp;
            synchronized (this) {
                pending.end(readOp);
                writeOp = aborted ? null : pending.begin("write " + target.name() + " offset " + pos);
            }
            if (writeOp == null) {
                data.release();
                ended(null, true);
                return;
            }
            call(() -> write.apply(data)).whenComplete((v, writeError) -> {
                data.release();
                if (writeError != null) {
                    fail(writeError);
                }
                ended(writeOp, true);
                pump();
            });
        });
    }

    private void issueFlush(Pending op) {
        flushes.request(error -> {
            if (error != null) {
                fail(error);
                ended(op, false);
                return;
            }
            ended(op, false);
            boolean report;
            synchronized (this) {
                report = !aborted;
            }
            if (report) {
                listener.flushed(this);
            }
        });
    }

    private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> request) {
        try {
            return request.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A request ended; an aborted copy releases its lock once nothing is in flight. */
    private void ended(Pending op, boolean chunk) {
        RangeLocks.Lock release;
        synchronized (this) {
            pending.end(op);
            if (chunk) {
                chunks--;
            }
            ops--;
            release = takeLockIfIdle();
        }
        if (release != null) {
            release.close();
            listener.settled(this);
        }
    }

    private void fail(Throwable error) {
        synchronized (this) {
            aborted = true;
        }
        listener.failed(this, error);
    }

    private RangeLocks.Lock takeLockIfIdle() {
        if (aborted && ops == 0 && lock != null && !lockReleased) {
            lockReleased = true;
            return lock;
        }
        return null;
    }

    /** Stops issuing requests; releases the lock now if nothing is in flight. */
    void abort() {
        RangeLocks.Lock release;
        synchronized (this) {
            aborted = true;
            release = takeLockIfIdle();
        }
        if (release != null) {
            release.close();
        }
    }

    synchronized boolean aborted() {
        return aborted;
    }

    /** Whether the lock was released (or handed over by {@link #finish}). */
    synchronized boolean settled() {
        return lockReleased;
    }

    /**
     * Ends a copy that was flushed (or found not owed) and not aborted: returns its granted
     * lock, which the caller releases after marking the region synced.
     */
    synchronized RangeLocks.Lock finish() {
        if (aborted || lock == null || lockReleased || ops != 0) {
            throw new IllegalStateException("region " + region + " cannot finish: aborted="
                    + aborted + " locked=" + (lock != null) + " ops=" + ops);
        }
        aborted = true;
        lockReleased = true;
        return lock;
    }

    /** The oldest request in flight, or null. */
    synchronized Pending oldestPending() {
        return pending.oldest();
    }
}
