package io.mirrorgate.replicator.mirror;

import io.mirrorgate.replicator.generation.GenerationStore;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.common.error.MirrorgateException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time the replicas are apart, from the peer's loss to its next attachment. Its first
 * degraded write raises the local generation, durably, before it is issued; the others wait for
 * the same raise. The store's I/O is blocking, so it runs on the metadata executor. A failed
 * raise is retried by the next write.
 */
final class ApartPeriod {
    private static final Logger LOG = LoggerFactory.getLogger(ApartPeriod.class);

    private final String name;
    private final GenerationStore store;
    private final Executor metadataExecutor;
    private CompletableFuture<Void> raise;

    ApartPeriod(String name, GenerationStore store, Executor metadataExecutor) {
        this.name = name;
        this.store = store;
        this.metadataExecutor = metadataExecutor;
    }

    /** The raise of this period, started on the first call; durable when it completes. */
    synchronized CompletableFuture<Void> raised() {
        if (raise == null || raise.isCompletedExceptionally()) {
            raise = CompletableFuture.runAsync(() -> {
                Generations before = store.generations();
                Generations raised = new Generations(before.local() + 1, before.syncedLocal(),
                        before.syncedPeer());
                store.storeGenerations(raised);
                LOG.info("peer away, local generation raised device={} generation={}", name,
                        raised.local());
            }, metadataExecutor);
            // Callers that acknowledged already (async mode, a failed peer flush) drop this future.
            raise.whenComplete((v, e) -> {
                if (e != null) {
                    LOG.error("cannot raise the local generation device={} error={}", name,
                            MirrorgateException.messageOf(e));
                }
            });
        }
        return raise;
    }

    /** The replicas are together again: the next degraded write starts a new period. */
    synchronized void end() {
        raise = null;
    }
}
