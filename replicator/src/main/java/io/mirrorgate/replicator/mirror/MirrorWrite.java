package io.mirrorgate.replicator.mirror;

import io.mirrorgate.server.device.BlockDevice;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mutating request of a {@link MirrorDevice} (write, write-zeroes, trim) from the moment it
 * holds its range lock until it has ended: issued to the replicas per mode, acknowledged to the
 * application, its end reported to the bitmap, its lock released. Each request ends exactly once.
 */
final class MirrorWrite {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorWrite.class);

    /** The request applied to one replica. */
    interface Mutation {
        CompletableFuture<Void> apply(BlockDevice device, boolean fua);
    }

    /** Makes a private copy of a write's payload, for the async backlog. */
    interface PayloadCopier {
        ByteBuf copy();
    }

    private final MirrorDevice mirror;
    private final long offset;
    private final long length;
    private final boolean fua;
    private final Mutation mutation;
    private final RangeLocks.Lock lock;
    private final CompletableFuture<Void> result;
    private boolean ended;

    MirrorWrite(MirrorDevice mirror, long offset, long length, boolean fua, Mutation mutation,
            RangeLocks.Lock lock, CompletableFuture<Void> result) {
        this.mirror = mirror;
        this.offset = offset;
        this.length = length;
        this.fua = fua;
        this.mutation = mutation;
        this.lock = lock;
        this.result = result;
    }

    /** Degraded: local only; the regions become owed. */
    void issueLocalOnly() {
        mirror.stats().increment(MirrorStats.Name.DEGRADED_WRITES);
        apply(mutation, mirror.local(), fua).thenAccept(err -> finish(false, err));
    }

    /**
     * Fullsync and memsync: both at once, acknowledged when both are done. A peer failure
     * degrades the mirror; the request still succeeds if local did, once the raised generation
     * is durable.
     */
    void issueBoth(boolean peerFua) {
        // the peer's first: its bytes travel while the local write (maybe on this thread) runs
        CompletableFuture<Throwable> peerDone = apply(mutation, mirror.peerDevice(), peerFua);
        CompletableFuture<Throwable> localDone = apply(mutation, mirror.local(), fua);
        localDone.thenCombine(peerDone, (localErr, peerErr) -> {
            if (peerErr == null) {
                finish(true, localErr);
            } else {
                mirror.peerFailed(peerErr).whenComplete((v, genErr) ->
                        finish(false, localErr != null ? localErr : genErr));
            }
            return null;
        });
    }

    /**
     * Async: waits for room in the backlog, copies the payload into it, issues both, and
     * acknowledges when local is done; the peer's completion ends the request later. A payload-less
     * request (write-zeroes) costs one block of backlog.
     */
    void issueAsync(AsyncBacklog backlog, PayloadCopier copier) {
        long cost = copier != null ? length : mirror.blockSize();
        backlog.reserve(cost).thenRun(() -> {
            ByteBuf copy = copier != null ? copier.copy() : null;
            Mutation peerMutation = copy == null ? mutation
                    : (device, peerFua) -> device.write(offset, copy.duplicate(), peerFua);
            CompletableFuture<Throwable> peerDone = apply(peerMutation, mirror.peerDevice(), false);
            CompletableFuture<Throwable> localDone = apply(mutation, mirror.local(), fua);
            localDone.thenAccept(this::acknowledge);
            localDone.thenCombine(peerDone, (localErr, peerErr) -> {
                if (copy != null) {
                    copy.release();
                }
                backlog.release(cost);
                if (peerErr != null) {
                    mirror.peerFailed(peerErr);
                }
                end(peerErr == null && localErr == null);
                return null;
            });
        }).exceptionally(this::abort);
    }

    /** A failure before anything was issued (a bug or a resource failure): end and fail. */
    Void abort(Throwable err) {
        LOG.error("mirror request aborted device={} offset={}", mirror.name(), offset, err);
        if (!result.isDone()) {
            finish(false, err);
        }
        return null;
    }

    /** Ends the request and acknowledges it (success when {@code err} is null). */
    void finish(boolean replicated, Throwable err) {
        end(replicated && err == null);
        acknowledge(err);
    }

    private void end(boolean replicated) {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
        }
        mirror.writeEnded(offset, length, replicated);
        lock.close();
    }

    private void acknowledge(Throwable err) {
        if (err == null) {
            mirror.stats().add(MirrorStats.Name.BYTES_WRITTEN, length);
            result.complete(null);
        } else {
            mirror.stats().increment(MirrorStats.Name.LOCAL_WRITE_FAILURES);
            result.completeExceptionally(err);
        }
    }

    /** The failure of applying {@code m} to {@code device} (null on success), never failing. */
    private static CompletableFuture<Throwable> apply(Mutation m, BlockDevice device,
            boolean deviceFua) {
        return MirrorDevice.call(() -> m.apply(device, deviceFua)).handle((v, err) -> err);
    }
}
