package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link PersistentDirtyRegions} owns, started and stopped: its committer thread and its
 * metadata file; and waiting for a metadata sync with its failure unwrapped.
 */
final class BitmapLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(BitmapLifecycle.class);

    private BitmapLifecycle() {}

    /** The single daemon thread that runs the metadata syncs of {@code resource}. */
    static ExecutorService committer(String resource) {
        String name = "mirrorgate-bitmap-" + resource;
        return Executors.newSingleThreadExecutor(DaemonThreads.named(name));
    }

    /** Waits for a metadata sync; its failure is thrown as is (EIO when not a runtime exception). */
    static void await(CompletableFuture<Void> future) {
        try {
            future.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException ? (RuntimeException) cause
                    : new MirrorgateException(ErrorCode.EIO, "metadata sync failed: " + cause, cause);
        }
    }

    /**
     * Stops {@code committer} (its queued syncs run first), then closes {@code file}; returns
     * {@code failure} with what went wrong added (the first failure wins, later ones suppressed).
     */
    static RuntimeException stop(ExecutorService committer, MetadataFile file, RuntimeException failure) {
        committer.shutdown();
        try {
            if (!committer.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.error("bitmap committer did not stop resource={}", file.resource());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = addFailure(failure, new MirrorgateException(ErrorCode.EIO, "interrupted closing bitmap", e));
        }
        try {
            file.close();
        } catch (RuntimeException e) {
            failure = addFailure(failure, e);
        }
        return failure;
    }

    private static RuntimeException addFailure(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
