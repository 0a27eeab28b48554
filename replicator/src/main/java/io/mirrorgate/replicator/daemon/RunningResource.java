package io.mirrorgate.replicator.daemon;

import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.bitmap.PersistentDirtyRegions;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.config.SplitBrainPolicy;
import io.mirrorgate.replicator.generation.SplitBrainResolution;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.replicator.resource.ResourceInitializer;
import io.mirrorgate.replicator.resync.ResyncOptions;
import io.mirrorgate.replicator.runtime.ResourceOptions;
import io.mirrorgate.replicator.runtime.ResourceRuntime;
import io.mirrorgate.replicator.runtime.ResourceStatus;
import io.mirrorgate.server.daemon.CloseStack;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.error.ErrorCode;
import io.mirrorgate.server.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbd.NbdServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One primary resource while the replicator runs: local device, bitmap, peer link, runtime and
 * (when {@code nbd_listen} is set) the NBD server of the mirrored volume, opened in that order
 * and closed in reverse. {@link #close} is the clean shutdown: stop NBD (its connections drain),
 * stop the runtime, flush both replicas and report them durable to the bitmap, close the bitmap
 * (clean-shutdown flag), the peer and the local device.
 */
final class RunningResource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunningResource.class);
    private static final long FLUSH_TIMEOUT_MS = 30_000;

    private final ResourceConfig config;
    private final LocalBlockDevice local;
    private final PersistentDirtyRegions regions;
    private final RemotePeerLink peer;
    private final ResourceRuntime runtime;
    private final NbdServer nbd;
    private boolean closed;

    private RunningResource(ResourceConfig config, LocalBlockDevice local, PersistentDirtyRegions regions,
            RemotePeerLink peer, ResourceRuntime runtime, NbdServer nbd) {
        this.config = config;
        this.local = local;
        this.regions = regions;
        this.peer = peer;
        this.runtime = runtime;
        this.nbd = nbd;
    }

    /** Opens everything of {@code config}; a failure half way closes what was opened. */
    static RunningResource open(ResourceConfig config, byte[] key, RemotePeerLink.Backoff backoff) {
        CloseStack opened = new CloseStack("resource " + config.name());
        try {
            LocalBlockDevice local = LocalBlockDevice.open(config.local(), LocalDeviceOptions.defaults());
            opened.push(local);
            MetadataFile metadata = ResourceInitializer.openMetadata(config);
            PersistentDirtyRegions regions;
            try {
                regions = PersistentDirtyRegions.open(metadata, config.activityRegions());
            } catch (RuntimeException e) {
                metadata.close();
                throw e;
            }
            opened.push(regions);
            RemotePeerLink peer = new RemotePeerLink(config.name(), RemotePeerLink.options(config, key), backoff);
            opened.push(peer);
            ResourceRuntime runtime = new ResourceRuntime(options(config), local, peer, regions, metadata);
            opened.push(runtime);
            runtime.start();
            peer.start();
            NbdServer nbd = null;
            if (config.nbdListen().isPresent()) {
                nbd = NbdServer.start(new SingleExportResolver(config.name(), runtime.device(), Access.RW),
                        config.nbdListen().get().host(), config.nbdListen().get().port(),
                        "nbd_listen of resource " + config.name());
            }
            return new RunningResource(config, local, regions, peer, runtime, nbd);
        } catch (RuntimeException e) {
            opened.closeAfter(e);
            throw e;
        }
    }

    /** The runtime options of a configured resource. */
    static ResourceOptions options(ResourceConfig config) {
        ResyncOptions resync = new ResyncOptions(config.resyncRate().orElse(0),
                ResyncOptions.DEFAULT_CHUNK, config.timeout().multipliedBy(6).compareTo(Duration.ofSeconds(60)) > 0
                        ? config.timeout().multipliedBy(6) : Duration.ofSeconds(60));
        Optional<SplitBrainResolution> policy = config.splitBrain() == SplitBrainPolicy.DISCARD_SECONDARY
                ? Optional.of(SplitBrainResolution.DISCARD_REMOTE) : Optional.empty();
        return new ResourceOptions(config.name(), config.role(), config.mode(), config.asyncBacklog(), resync, policy);
    }

    String name() {
        return config.name();
    }

    ResourceConfig config() {
        return config;
    }

    ResourceRuntime runtime() {
        return runtime;
    }

    MirrorDevice device() {
        return runtime.device();
    }

    RemotePeerLink peer() {
        return peer;
    }

    PersistentDirtyRegions regions() {
        return regions;
    }

    ResourceStatus status() {
        return runtime.status();
    }

    /** The bound NBD address, or null when {@code nbd_listen} is off. */
    InetSocketAddress nbdAddress() {
        return nbd != null ? nbd.localAddress() : null;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("resource stopping resource={}", config.name());
        RuntimeException failure = null;
        failure = run(failure, nbd == null ? null : nbd::close);
        boolean peerAttached = runtime.device().isPeerAttached();
        failure = run(failure, runtime::close);
        failure = run(failure, () -> flushBoth(peerAttached));
        failure = run(failure, regions::close);
        failure = run(failure, peer::close);
        failure = run(failure, local::close);
        LOG.info("resource stopped resource={} owedRegions={}", config.name(), regions.owedCount());
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Flushes the local replica and, when it was receiving writes, the peer; when both are
     * durable the bitmap may unmark what they hold, so that the clean shutdown leaves only
     * owed regions marked.
     */
    private void flushBoth(boolean peerAttached) {
        long mark = regions.durabilityMark();
        wait(local.flush(), "local flush");
        if (!peerAttached || !peer.isConnected()) {
            return;
        }
        try {
            wait(peer.device().flush(), "peer flush");
        } catch (MirrorgateException e) {
            LOG.warn("peer flush at shutdown failed, regions stay marked resource={} error={}",
                    config.name(), e.getMessage());
            return;
        }
        regions.bothDurable(mark);
    }

    private void wait(java.util.concurrent.CompletableFuture<Void> f, String what) {
        try {
            f.get(FLUSH_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MirrorgateException(ErrorCode.EIO, config.name() + ": interrupted during " + what, e);
        } catch (Exception e) {
            throw new MirrorgateException(MirrorgateException.codeOf(e.getCause() != null ? e.getCause() : e),
                    config.name() + ": " + what + " failed: " + MirrorgateException.messageOf(e), e);
        }
    }

    private static RuntimeException run(RuntimeException failure, Runnable step) {
        if (step == null) {
            return failure;
        }
        try {
            step.run();
        } catch (RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
        }
        return failure;
    }
}
