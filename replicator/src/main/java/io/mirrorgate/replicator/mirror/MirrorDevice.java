package io.mirrorgate.replicator.mirror;

import io.mirrorgate.replicator.bitmap.DirtyRegions;
import io.mirrorgate.replicator.generation.GenerationStore;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.DeviceRequests;
import io.mirrorgate.server.device.Extent;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror of a local device and a peer (replicator/README.md), itself a {@link BlockDevice}
 * that the NBD server can export.
 *
 * <p><b>Write path</b> (write, write-zeroes, trim): {@link DirtyRegions#beginWrite} marks the
 * regions; a {@link RangeLocks} lock orders the request against overlapping writes and a resync
 * copy of its region; the local and the peer request are issued at the same time on the same
 * buffer (each device gets a {@link ByteBuf#duplicate()}, nothing is copied or released: the
 * caller owns the buffer); the application is acknowledged per {@link ReplicationMode}; then
 * {@link DirtyRegions#endWrite} says whether the peer got it. In {@code async} mode the peer's
 * copy outlives the acknowledgement, so it is copied into a bounded backlog buffer that the
 * mirror owns and releases. The range lock is held until both sides are done.
 *
 * <p><b>Degraded</b>: while the peer is detached (away, split brain, not yet decided) or after
 * one of its writes failed, writes go on locally and their regions become owed. The first such
 * write of an apart period raises the local generation durably <em>before</em> it is issued
 * (on the metadata executor: the store's I/O is blocking). A write whose peer copy fails while
 * in flight was already issued; its acknowledgement then waits for the raised generation. A
 * local failure always fails the request: a write is never acknowledged unless local.
 *
 * <p><b>Reads</b>: local first. A local read error is served from the peer, and the block is
 * rewritten locally (under the range lock, so a newer write is not overwritten). While the
 * local replica is the target of a peer-to-local resync ({@link #attachPeer(boolean)} with
 * {@code localStale}), reads of owed regions go to the peer.
 *
 * <p><b>Trim</b> is mirrored as write-zeroes on both sides: a plain discard may leave old data on
 * one side and zeroes on the other, and the replicas must stay identical.
 *
 * <p>The mirror does not own the local device, the peer, the bitmap or the store; {@link
 * #close()} only refuses further requests.
 */
public final class MirrorDevice implements BlockDevice {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorDevice.class);

    private final BlockDevice local;
    private final PeerLink peer;
    private final DirtyRegions dirty;
    private final ReplicationMode mode;
    private final AsyncBacklog backlog;
    private final RangeLocks locks = new RangeLocks();
    private final ApartPeriod apartPeriod;

    private final MirrorStats stats = new MirrorStats();

    private volatile boolean attached;
    private volatile boolean localStale;
    private volatile boolean closed;
    private volatile String fenced;
    private volatile Consumer<Throwable> peerLostListener = cause -> { };

    /**
     * @param local the local replica
     * @param peer the peer; detached until {@link #attachPeer} is called
     * @param dirty the dirty-region bitmap of this resource
     * @param generations the metadata store whose local generation is raised when apart
     * @param mode when writes are acknowledged
     * @param asyncBacklogBytes the bound of the {@code async} backlog (ignored in other modes)
     * @param metadataExecutor where blocking metadata I/O (the generation raise) runs; never a
     *     Netty event loop
     */
    public MirrorDevice(BlockDevice local, PeerLink peer, DirtyRegions dirty,
            GenerationStore generations, ReplicationMode mode, long asyncBacklogBytes,
            Executor metadataExecutor) {
        this.local = local;
        this.peer = peer;
        this.dirty = dirty;
        this.mode = mode;
        this.apartPeriod = new ApartPeriod(local.name(), generations, metadataExecutor);
        this.backlog = mode == ReplicationMode.ASYNC ? new AsyncBacklog(asyncBacklogBytes) : null;
    }

    // ---- peer state, driven by the resource runtime ----

    /**
     * Starts replicating writes to the peer; ends the current apart period. With {@code
     * localStale}, the local replica is the target of a resync: its owed regions are read from
     * the peer. Fails ({@code EINVAL}) when the peer's device is smaller than the local one.
     */
    public synchronized void attachPeer(boolean localStale) {
        if (fenced != null) {
            throw new MirrorgateException(ErrorCode.EROFS, name() + ": fenced, the peer is not written: "
                    + fenced);
        }
        BlockDevice remote = peer.device();
        if (remote.size() < local.size() || remote.blockSize() > local.blockSize()) {
            throw new MirrorgateException(ErrorCode.EINVAL, String.format(
                    "%s: peer %s has size %d and block size %d (expected: size >= %d, block size"
                            + " <= %d)", name(), remote.name(), remote.size(), remote.blockSize(),
                    local.size(), local.blockSize()));
        }
        this.localStale = localStale;
        apartPeriod.end();
        this.attached = true;
    }

    /**
     * This primary was superseded (the peer was promoted with a higher epoch): from now on every
     * write fails with {@code EROFS} and nothing is sent to the peer. Reads still work.
     */
    public void fence(String reason) {
        synchronized (this) {
            if (fenced != null) {
                return;
            }
            fenced = reason;
            attached = false;
        }
        LOG.error("mirror fenced, writes refused device={} reason=\"{}\"", name(), reason);
    }

    /** Why this primary was fenced, or null while it is not. */
    public String fencedReason() {
        return fenced;
    }

    /** Stops sending writes to the peer (it is away or must not be written): degraded. */
    public void detachPeer() {
        attached = false;
    }

    /** The local replica is no longer stale (the peer-to-local resync finished). */
    public void setLocalStale(boolean stale) {
        this.localStale = stale;
    }

    /** Whether writes are replicated to the peer now. */
    public boolean isPeerAttached() {
        return attached;
    }

    /** Called (once per loss, on an I/O thread; must not block) when a peer request failed. */
    public void onPeerLost(Consumer<Throwable> listener) {
        this.peerLostListener = listener;
    }

    /**
     * Locks {@code [offset, offset + length)} against application writes and repairs, for a
     * resync copy. The caller closes the lock when the copy is durable and marked synced.
     */
    public CompletableFuture<RangeLocks.Lock> lockForCopy(long offset, long length) {
        return locks.acquire(offset, length);
    }

    /** Application requests holding or waiting for a range lock: the resync yields while > 0. */
    public int busyRequests() {
        return locks.busy();
    }

    public ReplicationMode mode() {
        return mode;
    }

    public MirrorCounters counters() {
        return stats.snapshot(!attached, backlog);
    }

    // ---- BlockDevice ----

    @Override
    public String name() {
        return "mirror(" + local.name() + "+" + peer.device().name() + ")";
    }

    @Override
    public long size() {
        return local.size();
    }

    @Override
    public int blockSize() {
        return local.blockSize();
    }

    @Override
    public boolean isReadOnly() {
        return local.isReadOnly();
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        MirrorgateException refused = refuse(offset, length, false);
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        stats.increment(MirrorStats.Name.READS);
        CompletableFuture<ByteBuf> result;
        if (localStale && anyOwed(offset, length)) {
            result = attached ? call(() -> peer.device().read(offset, length))
                    : DeviceRequests.failed(new MirrorgateException(ErrorCode.EIO, String.format(
                            "%s: offset %d length %d is stale locally and the peer is away",
                            name(), offset, length)));
        } else {
            result = call(() -> local.read(offset, length)).handle((buf, err) -> err == null
                    ? CompletableFuture.completedFuture(buf) : repair(offset, length, err))
                    .thenCompose(f -> f);
        }
        return result.whenComplete((buf, err) -> {
            if (err == null) {
                stats.add(MirrorStats.Name.BYTES_READ, length);
            }
        });
    }

    /** The local copy's {@link BlockDevice#readNow}, where the local copy is current. */
    @Override
    public ByteBuf readNow(long offset, int length) {
        if (refuse(offset, length, false) != null || (localStale && anyOwed(offset, length))) {
            return null;
        }
        ByteBuf data = local.readNow(offset, length);
        if (data != null) {
            stats.increment(MirrorStats.Name.READS);
            stats.add(MirrorStats.Name.BYTES_READ, length);
        }
        return data;
    }

    private CompletableFuture<ByteBuf> repair(long offset, int length, Throwable localError) {
        stats.increment(MirrorStats.Name.LOCAL_READ_ERRORS);
        if (!attached) {
            return DeviceRequests.failed(localError);
        }
        LOG.warn("local read failed, serving from peer and repairing device={} offset={} "
                + "length={} error={}", local.name(), offset, length,
                MirrorgateException.messageOf(localError));
        return locks.acquire(offset, length).thenCompose(lock -> call(
                () -> peer.device().read(offset, length)).handle((buf, err) -> {
                    if (err != null) {
                        lock.close();
                        localError.addSuppressed(err);
                        return DeviceRequests.<ByteBuf>failed(localError);
                    }
                    return call(() -> local.write(offset, buf.duplicate(), false))
                            .handle((v, werr) -> {
                                lock.close();
                                if (werr == null) {
                                    stats.increment(MirrorStats.Name.REPAIRED);
                                } else {
                                    LOG.warn("read repair failed device={} offset={} error={}",
                                            local.name(), offset,
                                            MirrorgateException.messageOf(werr));
                                }
                                return buf;
                            });
                }).thenCompose(f -> f));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        long length = data.readableBytes();
        return mutate(offset, length, fua,
                // the local copy into the page cache may happen right here (writeNow)
                (device, deviceFua) -> BlockDevice.writePreferringNow(device, offset,
                        data.duplicate(), deviceFua),
                () -> {
                    ByteBuf copy = data.alloc().buffer((int) length);
                    copy.writeBytes(data, data.readerIndex(), (int) length);
                    return copy;
                });
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return writeZeroes(offset, length, fua, 0);
    }

    /** NO_HOLE goes to both sides; FAST is refused (the mirror does not promise fast zeroing). */
    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, int flags) {
        if ((flags & ZERO_FAST) != 0) {
            return BlockDevice.super.writeZeroes(offset, length, fua, flags);
        }
        return mutate(offset, length, fua,
                (device, deviceFua) -> device.writeZeroes(offset, length, deviceFua, flags), null);
    }

    /** The local replica's allocation; "all data" where it is stale (owed by the peer). */
    @Override
    public CompletableFuture<List<Extent>> extents(long offset, long length) {
        MirrorgateException refused = refuse(offset, length, false);
        if (refused == null && length == 0) {
            refused = DeviceRequests.checkExtents(this, offset, length);
        }
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        if (localStale && anyOwed(offset, length)) {
            return BlockDevice.super.extents(offset, length);
        }
        return call(() -> local.extents(offset, length));
    }

    /** A read-ahead hint for the local replica, where reads are served. */
    @Override
    public CompletableFuture<Void> cache(long offset, long length) {
        MirrorgateException refused = refuse(offset, length, false);
        return refused != null ? DeviceRequests.failed(refused) : call(() -> local.cache(offset, length));
    }

    /** Mirrored as write-zeroes on both sides (see the class comment). */
    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        return writeZeroes(offset, length, false);
    }

    @Override
    public CompletableFuture<Void> flush() {
        MirrorgateException refused = refuse(0, 0, false);
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        boolean peerOn = attached;
        long mark = dirty.durabilityMark();
        CompletableFuture<Void> localFlush = call(local::flush);
        if (!peerOn) {
            return localFlush;
        }
        CompletableFuture<Void> peerFlush = call(() -> peer.device().flush());
        CompletableFuture<Void> both = localFlush.thenCombine(
                peerFlush.exceptionally(err -> {
                    peerFailed(err);
                    return null;
                }), (a, b) -> null);
        both.thenRun(() -> {
            if (!peerFlush.isCompletedExceptionally()) {
                dirty.bothDurable(mark);
            }
        });
        // In async mode the application waits for the local flush only.
        return mode == ReplicationMode.ASYNC ? localFlush : both;
    }

    // ---- the write path ----

    private CompletableFuture<Void> mutate(long offset, long length, boolean fua,
            MirrorWrite.Mutation mutation, MirrorWrite.PayloadCopier copier) {
        MirrorgateException refused = refuse(offset, length, true);
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        stats.increment(MirrorStats.Name.WRITES);
        CompletableFuture<Void> result = new CompletableFuture<>();
        call(() -> dirty.beginWrite(offset, length)).whenComplete((marked, markErr) -> {
            if (markErr != null) {
                stats.increment(MirrorStats.Name.LOCAL_WRITE_FAILURES);
                result.completeExceptionally(new MirrorgateException(ErrorCode.EIO,
                        name() + ": cannot mark the dirty regions of offset " + offset,
                        markErr));
                return;
            }
            locks.acquire(offset, length).thenAccept(lock -> {
                MirrorWrite request = new MirrorWrite(this, offset, length, fua, mutation, lock,
                        result);
                boolean peerOn = attached;
                CompletableFuture<Void> gate = peerOn ? CompletableFuture.completedFuture(null)
                        : apartPeriod.raised();
                gate.whenComplete((v, genErr) -> {
                    if (genErr != null) {
                        request.finish(false, genErr);
                    } else if (!peerOn) {
                        request.issueLocalOnly();
                    } else if (mode == ReplicationMode.ASYNC) {
                        request.issueAsync(backlog, copier);
                    } else {
                        request.issueBoth(mode == ReplicationMode.FULLSYNC && fua);
                    }
                }).exceptionally(request::abort);
            });
        });
        return result;
    }

    // ---- for MirrorWrite ----

    BlockDevice local() {
        return local;
    }

    BlockDevice peerDevice() {
        return peer.device();
    }

    MirrorStats stats() {
        return stats;
    }

    /** A mutating request ended: tell the bitmap. */
    void writeEnded(long offset, long length, boolean replicated) {
        dirty.endWrite(offset, length, replicated);
    }

    /**
     * A peer request failed: detach the peer (regions become owed from now on), tell the
     * runtime, and return the raise of the local generation that must be durable before the
     * failed write is acknowledged.
     */
    CompletableFuture<Void> peerFailed(Throwable cause) {
        stats.increment(MirrorStats.Name.PEER_WRITE_FAILURES);
        if (MirrorgateException.codeOf(cause) == ErrorCode.ESTALE) {
            // The peer was promoted over this node: the write it refused is not acknowledged
            // (it would be lost when this node is resynced from the new primary).
            fence("the peer refused a write with a newer epoch: "
                    + MirrorgateException.messageOf(cause));
            peerLostListener.accept(cause);
            return CompletableFuture.failedFuture(new MirrorgateException(ErrorCode.EROFS, name()
                    + ": fenced by the peer, the write is not acknowledged: "
                    + MirrorgateException.messageOf(cause)));
        }
        boolean wasAttached;
        synchronized (this) {
            wasAttached = attached;
            attached = false;
        }
        if (wasAttached) {
            LOG.warn("peer request failed, mirror degraded device={} peer={} error={}", name(),
                    peer.device().name(), MirrorgateException.messageOf(cause));
            peerLostListener.accept(cause);
        }
        return apartPeriod.raised();
    }

    private boolean anyOwed(long offset, long length) {
        long size = dirty.regionSize();
        for (long r = offset / size; r <= (offset + Math.max(length, 1) - 1) / size; r++) {
            if (dirty.isOwed(r)) {
                return true;
            }
        }
        return false;
    }

    private MirrorgateException refuse(long offset, long length, boolean mutating) {
        if (closed) {
            return new MirrorgateException(ErrorCode.ESHUTDOWN, name() + ": closed");
        }
        String fencedNow = fenced;
        if (mutating && fencedNow != null) {
            return new MirrorgateException(ErrorCode.EROFS, name() + ": this primary was fenced, writes are"
                    + " refused (" + fencedNow + ")");
        }
        return mutating ? DeviceRequests.checkWrite(this, offset, length)
                : DeviceRequests.check(this, offset, length);
    }

    /** Runs a device call, turning a synchronous throw into a failed future. */
    static <T> CompletableFuture<T> call(java.util.function.Supplier<CompletableFuture<T>> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
