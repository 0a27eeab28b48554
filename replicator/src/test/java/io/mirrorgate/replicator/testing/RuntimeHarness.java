package io.mirrorgate.replicator.testing;

import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.resync.ResyncProgress;
import io.mirrorgate.replicator.resource.PrimarySide;
import io.mirrorgate.replicator.resource.Resource;
import io.mirrorgate.replicator.resource.ResourceAssembly;
import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.resource.ResourceRuntime;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import java.time.Duration;

/**
 * One resource on two in-memory replicas, each behind a {@link ControllableBlockDevice} (the
 * peer's also behind a {@link TestPeerLink}), the fake bitmap and store, and the runtime, put
 * together by the {@link ResourceAssembly} as the daemon's are. Nothing is started: a test calls
 * {@code runtime.start()}. Closing it closes the assembly, the runtime first.
 */
public final class RuntimeHarness implements AutoCloseable {
    public final MemoryBlockDevice local;
    public final MemoryBlockDevice remote;
    public final ControllableBlockDevice localDevice;
    public final ControllableBlockDevice peerDevice;
    public final TestPeerLink link;
    public final MemoryDirtyRegions dirty;
    public final MemoryGenerationStore store;
    public final ResourceRuntime runtime;
    private final Resource resource;

    public RuntimeHarness(long size, long regionSize, Generations generations,
            long peerGeneration, boolean connected, ResourceOptions options) {
        local = new MemoryBlockDevice("local", size, 512, false);
        remote = new MemoryBlockDevice("peer", size, 512, false);
        localDevice = new ControllableBlockDevice(local);
        peerDevice = new ControllableBlockDevice(remote);
        link = new TestPeerLink(remote, peerDevice, peerGeneration, connected);
        dirty = new MemoryDirtyRegions(size, regionSize);
        if (generations.syncedPeer() == 0) {
            // A resource never in sync: every region owed, as replicator create makes its metadata.
            dirty.markAllOwed();
        }
        store = new MemoryGenerationStore(generations);
        resource = ResourceAssembly.named(options.name())
                .local(parts -> localDevice)
                .bitmap((device, parts) -> new ResourceAssembly.Bitmap(dirty, store))
                .primary(res -> PrimarySide.builder(res, options, parts -> {
                    parts.push(peerDevice);
                    return link;
                }))
                .open();
        runtime = resource.primary().runtime();
    }

    public ResourceStatus status() {
        return runtime.status();
    }

    public ResyncProgress progress() {
        return runtime.progress();
    }

    /** Waits until more than {@code before} resyncs have completed. */
    public void awaitSyncs(long count, Duration max) throws InterruptedException {
        Fixtures.await(count + " completed resyncs", max,
                () -> runtime.status().syncsCompleted() >= count);
    }

    public void awaitState(ResourceStatus.State state, Duration max) throws InterruptedException {
        Fixtures.await("state " + state, max, () -> runtime.status().state() == state);
    }

    @Override
    public void close() {
        resource.close();
    }
}
