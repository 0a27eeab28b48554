package io.mirrorgate.replicator.resync;

import io.mirrorgate.server.device.BlockDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The target's flushes, shared by the region copies of one pass (a group commit): a region whose
 * writes all completed {@linkplain #request requests} a flush; if none is in flight one is issued
 * at once, otherwise the region waits for the next one, issued as soon as the current one
 * completes. So every region is answered by a flush issued after its request, hence after its
 * last write completed, and with several regions in flight the target syncs once for all of
 * them instead of once per region. Never blocks; callbacks run on the thread that completed the
 * flush.
 */
final class SharedFlush {
    private final BlockDevice target;
    private List<Consumer<Throwable>> next = new ArrayList<>();
    private boolean flushing;

    SharedFlush(BlockDevice target) {
        this.target = target;
    }

    /** Calls {@code done} (with null, or the failure) when a flush issued after now completed. */
    void request(Consumer<Throwable> done) {
        List<Consumer<Throwable>> batch = null;
        synchronized (this) {
            next.add(done);
            if (!flushing) {
                flushing = true;
                batch = next;
                next = new ArrayList<>();
            }
        }
        if (batch != null) {
            issue(batch);
        }
    }

    private void issue(List<Consumer<Throwable>> batch) {
        CompletableFuture<Void> flush;
        try {
            flush = target.flush();
        } catch (RuntimeException e) {
            flush = CompletableFuture.failedFuture(e);
        }
        flush.whenComplete((v, error) -> {
            batch.forEach(done -> done.accept(error));
            List<Consumer<Throwable>> following;
            synchronized (this) {
                if (next.isEmpty()) {
                    flushing = false;
                    following = null;
                } else {
                    following = next;
                    next = new ArrayList<>();
                }
            }
            if (following != null) {
                issue(following);
            }
        });
    }
}
