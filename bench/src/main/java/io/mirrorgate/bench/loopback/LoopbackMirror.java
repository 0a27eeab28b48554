package io.mirrorgate.bench.loopback;

import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.bitmap.PersistentDirtyRegions;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.replicator.resource.PrimarySide;
import io.mirrorgate.replicator.resource.Resource;
import io.mirrorgate.replicator.resource.ResourceAssembly;
import io.mirrorgate.replicator.resource.ResourceAssembly.Bitmap;
import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.resource.ResourceRuntime;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One replicated resource wired in one process, by the replicator's own {@link ResourceAssembly}
 * as {@code replicator run} wires it on two machines: the primary image as a {@link
 * LocalBlockDevice}, its metadata file (created on first use: every region marked, so the first
 * connection is the product's full initial sync) as the {@link PersistentDirtyRegions} and
 * generation store, a {@link LoopbackStandby} on 127.0.0.1, the replicator's own {@link
 * RemotePeerLink} (a ggate client) to it, and the {@link ResourceRuntime} on its {@link
 * PrimarySide}. Closing closes everything in reverse order (the bitmap last but the primary, with
 * its clean shutdown marker).
 */
public final class LoopbackMirror implements AutoCloseable {
    /** Where the pieces live. */
    public record Layout(Path primary, Path standby, Path metadata, Path stateDirectory) {}

    private Resource resource;
    private LocalBlockDevice local;
    private PersistentDirtyRegions dirty;
    private LoopbackStandby standby;
    private RemotePeerLink link;
    private ResourceRuntime runtime;

    private LoopbackMirror() {
    }

    /**
     * Opens everything and connects to the standby; the runtime is not started yet.
     *
     * @param regionSize bitmap region size, used only when the metadata file is created
     * @param activityRegions regions kept marked while recently written
     */
    public static LoopbackMirror open(Layout files, ResourceOptions options, long regionSize,
            int activityRegions) throws InterruptedException {
        LoopbackMirror m = new LoopbackMirror();
        m.resource = ResourceAssembly.named(options.name())
                .local(parts -> m.local = LocalBlockDevice.open(files.primary(), LocalDeviceOptions.defaults()))
                .bitmap((device, parts) -> {
                    if (!Files.exists(files.metadata())) {
                        MetadataFile.create(files.metadata(), options.name(), "bench-primary", device.size(),
                                regionSize);
                    }
                    return Bitmap.of(m.dirty = PersistentDirtyRegions.open(files.metadata(), device.size(),
                            activityRegions));
                })
                .primary(res -> PrimarySide.builder(res, options, parts -> {
                    m.standby = parts.push(startStandby(files));
                    return m.link = new RemotePeerLink(options.name(), m.standby.clientOptions("bench-primary"),
                            RemotePeerLink.Backoff.defaults());
                }))
                .open();
        m.runtime = m.resource.primary().runtime();
        try {
            m.link.start();
            await(() -> "the peer link to connect (" + m.link.lastError() + ")", Duration.ofSeconds(30),
                    m.link::isConnected);
        } catch (InterruptedException | RuntimeException e) {
            m.resource.closeAfter(e);
            throw e;
        }
        return m;
    }

    private static LoopbackStandby startStandby(Layout files) {
        try {
            return LoopbackStandby.start(files.standby(), files.stateDirectory());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted starting the standby on " + files.standby(), e);
        }
    }

    /** Starts the runtime: it decides on the connected peer and starts the resync, if any. */
    public void start() {
        resource.primary().start(Duration.ZERO);
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
        resource.close();
    }
}
