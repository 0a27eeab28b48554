package io.mirrorgate.replicator.resource;

import io.mirrorgate.replicator.bitmap.PersistentDirtyRegions;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.config.SplitBrainPolicy;
import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.replicator.generation.SplitBrainResolution;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.replicator.resync.ResyncOptions;
import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.SingleExportResolver;
import io.mirrorgate.server.nbd.NbdServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a resource runs while it is primary: the peer link (with the replication handshake when
 * the peer is another replicator), the runtime (mirror and resync) and the NBD server of the
 * mirrored volume, opened in that order and closed in reverse. {@link #close} is the clean end
 * of the role: NBD drains, the runtime stops, both replicas are flushed and reported durable to
 * the bitmap, the peer link closes. The local device and the bitmap belong to the resource.
 */
public final class PrimarySide implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrimarySide.class);
    private static final long FLUSH_TIMEOUT_MS = 30_000;

    private final ResourceConfig config;
    private final LocalBlockDevice local;
    private final PersistentDirtyRegions regions;
    private final RemotePeerLink peer;
    private final ResourceRuntime runtime;
    private NbdServer nbd;
    private boolean closed;

    private PrimarySide(ResourceConfig config, LocalBlockDevice local, PersistentDirtyRegions regions,
            RemotePeerLink peer, ResourceRuntime runtime) {
        this.config = config;
        this.local = local;
        this.regions = regions;
        this.peer = peer;
        this.runtime = runtime;
    }

    /**
     * Takes the primary role: connects the peer (presenting {@code epoch}) and starts the
     * mirror. With {@code awaitPeer}, waits (bounded) for the first connection attempt's outcome
     * before the NBD endpoint opens, so that a node started as primary after it was superseded
     * learns it is fenced before it accepts a write. {@code onFenced} hears, once, that this
     * primary was superseded.
     */
    public static PrimarySide open(ResourceConfig config, byte[] key, LocalBlockDevice local,
            PersistentDirtyRegions regions, long epoch, RemotePeerLink.Handshake handshake,
            RemotePeerLink.Backoff backoff, Duration awaitPeer, Consumer<String> onFenced) {
        CloseStack opened = new CloseStack("primary " + config.name());
        try {
            RemotePeerLink peer = new RemotePeerLink(config.name(), RemotePeerLink.options(config, key, epoch),
                    backoff);
            peer.handshake(handshake);
            opened.push(peer);
            ResourceRuntime runtime = new ResourceRuntime(options(config), local, peer, regions,
                    regions.metadata());
            opened.push(runtime);
            runtime.onFenced(onFenced);
            runtime.start();
            peer.start();
            PrimarySide side = new PrimarySide(config, local, regions, peer, runtime);
            if (!awaitPeer.isZero()) {
                side.awaitFirstOutcome(awaitPeer);
            }
            if (config.nbdListen().isPresent()) {
                side.nbd = NbdServer.start(new SingleExportResolver(config.name(), runtime.device(), Access.RW),
                        config.nbdListen().get().host(), config.nbdListen().get().port(),
                        "nbd_listen of resource " + config.name());
            }
            return side;
        } catch (RuntimeException e) {
            opened.closeAfter(e);
            throw e;
        }
    }

    private void awaitFirstOutcome(Duration bound) {
        try {
            peer.firstOutcome().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("peer not reached before serving resource={} peer={} waitedMs={}", config.name(),
                    peer.address(), bound.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MirrorgateException(ErrorCode.EIO, config.name() + ": interrupted waiting for the peer", e);
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("peer first attempt failed resource={} error={}", config.name(),
                    MirrorgateException.messageOf(e.getCause()));
        }
    }

    /** The runtime options of a configured resource, in the primary role (whatever its start-up role). */
    public static ResourceOptions options(ResourceConfig config) {
        ResyncOptions resync = new ResyncOptions(config.resyncRate().orElse(0),
                ResyncOptions.DEFAULT_CHUNK, config.timeout().multipliedBy(6).compareTo(Duration.ofSeconds(60)) > 0
                        ? config.timeout().multipliedBy(6) : Duration.ofSeconds(60));
        Optional<SplitBrainResolution> policy = config.splitBrain() == SplitBrainPolicy.DISCARD_SECONDARY
                ? Optional.of(SplitBrainResolution.DISCARD_REMOTE) : Optional.empty();
        return new ResourceOptions(config.name(), Role.PRIMARY, config.mode(), config.asyncBacklog(), resync, policy);
    }

    public ResourceRuntime runtime() {
        return runtime;
    }

    public RemotePeerLink peer() {
        return peer;
    }

    /** What the peer told in the handshake, while connected to another replicator. */
    public Optional<PeerInfo> peerInfo() {
        return peer.peerInfo();
    }

    /** The bound NBD address, or null when {@code nbd_listen} is off. */
    public InetSocketAddress nbdAddress() {
        return nbd != null ? nbd.localAddress() : null;
    }

    /**
     * Ends the role cleanly: NBD clients drain (every acknowledged write is on the replicas),
     * the runtime stops, both replicas are flushed; with {@code settle}, the bitmap then keeps
     * only the owed regions marked (a role change: the peer need not recopy the activity set).
     */
    public void close(boolean settle) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        RuntimeException failure = null;
        failure = run(failure, nbd == null ? null : nbd::close);
        boolean peerAttached = runtime.device().isPeerAttached();
        failure = run(failure, runtime::close);
        boolean bothDurable = false;
        try {
            bothDurable = flushBoth(peerAttached);
        } catch (RuntimeException e) {
            failure = e;
        }
        if (settle && bothDurable && failure == null) {
            failure = run(failure, regions::settle);
        }
        failure = run(failure, peer::close);
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        close(false);
    }

    /**
     * Flushes the local replica and, when it was receiving writes, the peer; when both are
     * durable the bitmap may unmark what they hold. Returns whether both were flushed.
     */
    private boolean flushBoth(boolean peerAttached) {
        long mark = regions.durabilityMark();
        wait(local.flush(), "local flush");
        if (!peerAttached || !peer.isConnected()) {
            return false;
        }
        try {
            wait(peer.device().flush(), "peer flush");
        } catch (MirrorgateException e) {
            LOG.warn("peer flush failed, regions stay marked resource={} error={}", config.name(), e.getMessage());
            return false;
        }
        regions.bothDurable(mark);
        return true;
    }

    private void wait(CompletableFuture<Void> f, String what) {
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

    public static RuntimeException run(RuntimeException failure, Runnable step) {
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
