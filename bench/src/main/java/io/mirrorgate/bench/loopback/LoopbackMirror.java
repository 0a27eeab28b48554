package io.mirrorgate.bench.loopback;

import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.bitmap.PersistentDirtyRegions;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.resource.ResourceRuntime;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One replicated resource wired in one process, as {@code replicator run} wires it on two
 * machines: the primary image as a {@link LocalBlockDevice}, its metadata file (created on first
 * use: every region marked, so the first connection is the product's full initial sync) as the
 * {@link PersistentDirtyRegions} and generation store, a {@link LoopbackStandby} on 127.0.0.1,
 * the replicator's own {@link RemotePeerLink} (a ggate client) to it, and the {@link
 * ResourceRuntime}.
 * Closing closes everything in reverse order (the bitmap last but the primary, with its clean
 * shutdown marker).
 */
public final class LoopbackMirror implements AutoCloseable {
    /** Where the pieces live. */
    public record Layout(Path primary, Path standby, Path metadata, Path stateDirectory) {}

    private final LocalBlockDevice local;
    private final PersistentDirtyRegions dirty;
    private final LoopbackStandby standby;
    private final RemotePeerLink link;
    private final ResourceRuntime runtime;

    private LoopbackMirror(LocalBlockDevice local, PersistentDirtyRegions dirty,
            LoopbackStandby standby, RemotePeerLink link, ResourceRuntime runtime) {
        this.local = local;
        this.dirty = dirty;
        this.standby = standby;
        this.link = link;
        this.runtime = runtime;
    }

    /**
     * Opens everything and connects to the standby; the runtime is not started yet.
     *
     * @param regionSize bitmap region size, used only when the metadata file is created
     * @param activityRegions regions kept marked while recently written
     */
    public static LoopbackMirror open(Layout files, ResourceOptions options, long regionSize,
            int activityRegions) throws InterruptedException {
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            LocalBlockDevice local = LocalBlockDevice.open(files.primary(), LocalDeviceOptions.defaults());
            opened.push(local);
            if (!Files.exists(files.metadata())) {
                MetadataFile.create(files.metadata(), options.name(), "bench-primary", local.size(),
                        regionSize);
            }
            PersistentDirtyRegions dirty = PersistentDirtyRegions.open(files.metadata(), local.size(),
                    activityRegions);
            opened.push(dirty);
            LoopbackStandby standby = LoopbackStandby.start(files.standby(), files.stateDirectory());
            opened.push(standby);
            RemotePeerLink link = new RemotePeerLink(options.name(),
                    standby.clientOptions("bench-primary"), RemotePeerLink.Backoff.defaults());
            opened.push(link);
            link.start();
            await(() -> "the peer link to connect (" + link.lastError() + ")", Duration.ofSeconds(30),
                    link::isConnected);
            ResourceRuntime runtime = new ResourceRuntime(options, local, link, dirty, dirty.metadata());
            return new LoopbackMirror(local, dirty, standby, link, runtime);
        } catch (InterruptedException | RuntimeException e) {
            closeAll(opened, e);
            throw e;
        }
    }

    /** Starts the runtime: it decides on the connected peer and starts the resync, if any. */
    public void start() {
        runtime.start();
    }

    /** The mirrored volume. */
    public MirrorDevice device() {
        return runtime.device();
    }

    public ResourceRuntime runtime() {
        return runtime;
    }

    public PersistentDirtyRegions dirty() {
        return dirty;
    }

    public LoopbackStandby standby() {
        return standby;
    }

    public RemotePeerLink link() {
        return link;
    }

    public LocalBlockDevice local() {
        return local;
    }

    /** Waits until {@code count} resyncs have completed (replicas recorded in sync). */
    public void awaitSyncs(long count, Duration max) throws InterruptedException {
        await(() -> count + " completed resyncs; status " + runtime.status(), max,
                () -> runtime.status().syncsCompleted() >= count);
    }

    /** Waits until the resource is in {@code state}. */
    public void awaitState(ResourceStatus.State state, Duration max) throws InterruptedException {
        await(() -> "state " + state + "; status " + runtime.status(), max,
                () -> runtime.status().state() == state);
    }

    private static void await(Supplier<String> what, Duration max, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + max + " waiting for " + what.get());
            }
            TimeUnit.MILLISECONDS.sleep(2);
        }
    }

    @Override
    public void close() {
        Deque<AutoCloseable> all = new ArrayDeque<>();
        all.push(local);
        all.push(dirty);
        all.push(standby);
        all.push(link);
        all.push(runtime);
        RuntimeException failure = closeAll(all, null);
        if (failure != null) {
            throw failure;
        }
    }

    /** Closes {@code stack} top first; failures are added to {@code first} (or returned). */
    private static RuntimeException closeAll(Deque<AutoCloseable> stack, Exception first) {
        RuntimeException failure = null;
        while (!stack.isEmpty()) {
            try {
                stack.pop().close();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                if (first != null) {
                    first.addSuppressed(e);
                } else if (failure == null) {
                    failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        return failure;
    }
}
