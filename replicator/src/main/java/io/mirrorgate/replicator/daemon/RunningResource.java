package io.mirrorgate.replicator.daemon;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.replicator.bitmap.PersistentDirtyRegions;
import io.mirrorgate.replicator.config.AfterFenced;
import io.mirrorgate.replicator.config.ResourceConfig;
import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.replicator.mirror.MirrorCounters;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.replicator.resource.PrimarySide;
import io.mirrorgate.replicator.resource.Resource;
import io.mirrorgate.replicator.resource.ResourceAssembly;
import io.mirrorgate.replicator.resource.ResourceAssembly.Bitmap;
import io.mirrorgate.replicator.resource.ResourceInitializer;
import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.resource.ResourceRuntime;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.replicator.resync.ResyncProgress;
import io.mirrorgate.replicator.role.ReplicaEndpoint;
import io.mirrorgate.replicator.role.ReplicaListener;
import io.mirrorgate.replicator.role.SyncTargetMark;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.tls.ServerTls;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One resource while the replicator runs, in either role. It always owns the local device, the
 * bitmap (metadata), the {@link ReplicaEndpoint} (epoch, handshake) and, when {@code listen}
 * is set, the {@link ReplicaListener} through which a primary peer reaches the replica. While
 * primary it also runs a {@link PrimarySide} (peer link, mirror, resync, NBD).
 *
 * <p>Role changes ({@link #changeRole}) run one at a time: to primary raises the epoch (with
 * {@code force} also while a primary is connected, which is then cut off and fenced) and opens
 * the primary side; to secondary closes it cleanly (NBD drained, both replicas flushed, the
 * bitmap settled to the owed regions) and lets the listener admit the peer's primary. {@link
 * #close} is the clean shutdown of whatever role is current.
 */
final class RunningResource implements AutoCloseable, ReplicaEndpoint.Host {
    private static final Logger LOG = LoggerFactory.getLogger(RunningResource.class);
    /** How long a node started as primary waits for the peer's first answer before serving. */
    private static final Duration START_AWAIT_PEER = Duration.ofSeconds(3);
    /** How long a promotion without force waits for a connected primary to disconnect. */
    private static final Duration PRIMARY_GONE = Duration.ofSeconds(2);

    private final ResourceConfig config;
    private final byte[] key;
    private final RemotePeerLink.Backoff backoff;
    private Resource resource;
    private PersistentDirtyRegions regions;
    private ReplicaEndpoint endpoint;
    private ReplicaListener listener;
    private volatile Role role = Role.SECONDARY;
    private volatile PrimarySide<RemotePeerLink> primary;
    private volatile String fencedBy;
    private boolean closed;

    private RunningResource(ResourceConfig config, byte[] key, RemotePeerLink.Backoff backoff) {
        this.config = config;
        this.key = key;
        this.backoff = backoff;
    }

    /**
     * Opens everything of {@code config} in its start-up role, in the {@link ResourceAssembly}'s
     * order: the local device, the metadata and bitmap, the endpoint, the listener, the role's
     * side. A failure half way closes what was opened, as {@link #close} does.
     */
    static RunningResource open(ResourceConfig config, byte[] key, RemotePeerLink.Backoff backoff) {
        RunningResource r = new RunningResource(config, key, backoff);
        r.resource = ResourceAssembly.named(config.name())
                .local(parts -> LocalBlockDevice.open(config.local(), LocalDeviceOptions.defaults()))
                .bitmap((local, parts) -> Bitmap.of(r.regions = PersistentDirtyRegions.open(
                        parts.push(ResourceInitializer.openMetadata(config)), config.activityRegions())))
                .then(res -> r.endpoint = new ReplicaEndpoint(config.name(), config.node(), r.regions,
                        SyncTargetMark.of(config.metadata()), r))
                .then(res -> r.listener = config.listen().isEmpty() ? null : ReplicaListener.start(config.name(),
                        config.local(), res.local(), r.endpoint, key, config.listen().get(), config.remote().host(),
                        config.metadata().toAbsolutePath().getParent(), ServerTls.of(config.tls(), config.tlsFiles())))
                .then(r::startRole)
                .open();
        LOG.info("resource started resource={} role={} epoch={} listen={}", config.name(),
                StatusJson.lower(r.role), r.endpoint.epoch(), r.listenAddress());
        return r;
    }

    /** Takes the configured start-up role on the resource; returns what ends whatever role is current. */
    private AutoCloseable startRole(Resource opened) {
        resource = opened; // the role's side is opened on it before the assembly returns it
        if (config.role() == Role.PRIMARY) {
            String inconsistent = endpoint.inconsistency();
            if (inconsistent != null) {
                throw new MirrorgateException(ErrorCode.EBUSY, "resource " + config.name()
                        + " cannot start as primary on node " + config.node() + ": its replica is"
                        + " inconsistent (" + inconsistent + ", not finished); start it as secondary"
                        + " to let the resync finish, or, if that primary is gone for good, promote"
                        + " it with replicator role " + config.name() + " primary --accept-inconsistent");
            }
            synchronized (this) { // a role change triggered meanwhile (fenced at once) waits for this
                becomePrimary(START_AWAIT_PEER);
            }
        }
        return () -> closePrimary(false);
    }

    /** Opens the primary side presenting this node's epoch (lock held or during open). */
    private void becomePrimary(Duration awaitPeer) {
        role = Role.PRIMARY;
        fencedBy = null;
        long epoch = endpoint.epoch();
        try {
            primary = PrimarySide.builder(resource, ResourceOptions.of(config), parts -> {
                RemotePeerLink link = new RemotePeerLink(config.name(), RemotePeerLink.options(config, key, epoch),
                        backoff);
                link.handshake(handshake());
                return link;
            }).nbd(config.nbdListen()).flushOnClose(regions::settle).onFenced(this::onFenced).start(awaitPeer);
        } catch (RuntimeException e) {
            role = Role.SECONDARY;
            throw e;
        }
    }

    /** The handshake the primary side runs with a replicator peer. */
    private RemotePeerLink.Handshake handshake() {
        return new RemotePeerLink.Handshake() {
            @Override
            public PeerInfo local() {
                return endpoint.info();
            }

            @Override
            public void check(PeerInfo peer) {
                if (!peer.uuid().equals(regions.metadata().uuid())) {
                    throw new MirrorgateException(ErrorCode.EINVAL, "resource " + config.name() + ": UUID"
                            + " mismatch: node " + peer.node() + " has " + peer.uuid() + ", this node "
                            + config.node() + " has " + regions.metadata().uuid()
                            + "; refusing to resync into a different disk");
                }
                if (peer.role() == Role.PRIMARY) {
                    throw new MirrorgateException(ErrorCode.EBUSY, "resource " + config.name()
                            + " is primary on node " + peer.node() + " too");
                }
            }
        };
    }

    /**
     * Changes the role on the running daemon; idempotent. To primary is refused ({@code EBUSY})
     * while a primary peer is connected, unless {@code force}: the epoch is raised first, so
     * the old primary's writes are refused from then on. Returns what was done, in one line.
     */
    synchronized String changeRole(Role target, boolean force) {
        return changeRole(target, force, false);
    }

    /**
     * As {@link #changeRole(Role, boolean)}; {@code acceptInconsistent} also promotes a replica
     * whose resync did not finish ({@link ReplicaEndpoint#inconsistency}), as it is.
     */
    synchronized String changeRole(Role target, boolean force, boolean acceptInconsistent) {
        checkOpen();
        String name = config.name();
        if (target == role && !(target == Role.PRIMARY && fencedBy != null && force)) {
            return "resource " + name + " is already " + StatusJson.lower(target) + " on node " + config.node()
                    + " (epoch " + endpoint.epoch() + ")" + (fencedBy != null ? ", fenced: " + fencedBy : "");
        }
        if (target == Role.PRIMARY) {
            if (role == Role.PRIMARY) {
                // a fenced primary taking the role back by force: a new epoch, a new primary side
                closePrimary(false);
            }
            // a primary made secondary a moment ago may not have disconnected yet
            String connected = force ? endpoint.connectedPrimary() : endpoint.awaitNoPrimary(PRIMARY_GONE);
            if (connected != null && !force) {
                throw new MirrorgateException(ErrorCode.EBUSY, "resource " + name + ": node " + connected
                        + " is connected as primary (expected: make it secondary first, or use --force to"
                        + " fence it and take over)");
            }
            String inconsistent = endpoint.inconsistency();
            if (inconsistent != null && !acceptInconsistent) {
                throw new MirrorgateException(ErrorCode.EBUSY, "resource " + name + " on node " + config.node()
                        + " is inconsistent: " + inconsistent + " and did not finish, so its blocks are a"
                        + " mix of old and new (expected: let the resync finish; if that primary is gone"
                        + " for good, --accept-inconsistent promotes this replica as it is and what the"
                        + " resync had not copied is lost)");
            }
            long epoch = endpoint.raiseEpoch();
            if (inconsistent != null) {
                LOG.warn("inconsistent replica promoted by force resource={} node={} inconsistency=\"{}\"",
                        name, config.node(), inconsistent);
                endpoint.acceptInconsistency();
            }
            if (connected != null) {
                endpoint.dropPrimary();
            }
            becomePrimary(Duration.ZERO);
            LOG.warn("role changed resource={} node={} role=primary epoch={} forced={} fenced={}", name,
                    config.node(), epoch, force, connected == null ? "-" : connected);
            return "resource " + name + " is now primary on node " + config.node() + " (epoch " + epoch + ")"
                    + (connected != null ? "; node " + connected + " was fenced" : "")
                    + (primary.nbdAddress() != null ? "; NBD on " + StatusJson.format(primary.nbdAddress()) : "");
        }
        closePrimary(true);
        role = Role.SECONDARY;
        fencedBy = null;
        LOG.warn("role changed resource={} node={} role=secondary epoch={}", name, config.node(), endpoint.epoch());
        return "resource " + name + " is now secondary on node " + config.node() + " (epoch " + endpoint.epoch()
                + ")" + (listener != null ? "; serving the replica to the primary on "
                        + StatusJson.format(listener.address()) : "; no listen address configured: the peer"
                        + " cannot reach this replica");
    }

    /**
     * Raises the epoch without changing the role: a primary connected now is cut off, and every
     * primary presenting an older epoch is refused from now on.
     */
    synchronized String fence() {
        checkOpen();
        String connected = endpoint.connectedPrimary();
        long epoch = endpoint.raiseEpoch();
        if (connected != null) {
            endpoint.dropPrimary();
        }
        return "resource " + config.name() + ": epoch raised to " + epoch + " on node " + config.node()
                + (connected != null ? "; node " + connected + " was cut off" : "");
    }

    private void closePrimary(boolean settle) {
        PrimarySide<RemotePeerLink> side = primary;
        primary = null;
        if (side != null) {
            side.close(settle);
        }
    }

    // ---- ReplicaEndpoint.Host ----

    @Override
    public Role role() {
        return role;
    }

    @Override
    public boolean fenced() {
        return fencedBy != null;
    }

    @Override
    public void superseded(long epoch, String node) {
        PrimarySide<RemotePeerLink> side = primary;
        if (side != null) {
            side.runtime().fence("node " + node + " was promoted with epoch " + Long.toUnsignedString(epoch));
        }
    }

    /** The runtime reports its fencing (on its control thread). */
    private void onFenced(String reason) {
        fencedBy = reason;
        if (config.afterFenced() == AfterFenced.BECOME_SECONDARY) {
            // not on the runtime's control thread: the role change closes that runtime
            CompletableFuture.runAsync(() -> changeRole(Role.SECONDARY, false),
                    r -> DaemonThreads.start("demote-" + config.name(), r)).whenComplete((v, e) -> {
                if (e != null) {
                    LOG.error("cannot become secondary after being fenced resource={} error={}", config.name(),
                            MirrorgateException.messageOf(e));
                } else {
                    LOG.warn("fenced primary became secondary resource={} (after_fenced = become-secondary)",
                            config.name());
                }
            });
        }
    }

    // ---- views for status, metrics and the control socket ----

    String name() {
        return config.name();
    }

    ResourceConfig config() {
        return config;
    }

    PersistentDirtyRegions regions() {
        return regions;
    }

    ReplicaEndpoint endpoint() {
        return endpoint;
    }

    /** The primary side's runtime; fails with {@code EBUSY} while secondary. */
    ResourceRuntime runtime() {
        PrimarySide<RemotePeerLink> side = primary;
        if (side == null) {
            throw new MirrorgateException(ErrorCode.EBUSY, "resource " + config.name() + " is secondary on node "
                    + config.node() + ": the primary decides and resyncs");
        }
        return side.runtime();
    }

    /** The primary side, if this node is primary now. */
    Optional<PrimarySide<RemotePeerLink>> primary() {
        return Optional.ofNullable(primary);
    }

    /** Why this primary was fenced, or null. */
    String fencedBy() {
        return fencedBy;
    }

    ResourceStatus status() {
        PrimarySide<RemotePeerLink> side = primary;
        if (side != null) {
            return side.runtime().status(); // its options say primary
        }
        boolean connected = endpoint.primaryConnected();
        long owed = regions.owedCount();
        ResourceStatus.State state = !connected ? ResourceStatus.State.DISCONNECTED
                : endpoint.inSync() ? ResourceStatus.State.CONNECTED : ResourceStatus.State.SYNC_TARGET;
        return new ResourceStatus(config.name(), Role.SECONDARY, state, connected,
                config.mode(), regions.regionSize(), owed, regions.owedBytes(),
                regions.metadata().generations(), -1, null, null, 0, ResyncProgress.idle(),
                new MirrorCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, !connected, 0, 0));
    }

    /** The bound NBD address, or null while secondary or when {@code nbd_listen} is off. */
    InetSocketAddress nbdAddress() {
        PrimarySide<RemotePeerLink> side = primary;
        return side != null ? side.nbdAddress() : null;
    }

    /** The bound listen address, or null when {@code listen} is off. */
    InetSocketAddress listenAddress() {
        return listener != null ? listener.address() : null;
    }

    private void checkOpen() {
        if (closed) {
            throw new MirrorgateException(ErrorCode.ESHUTDOWN, "resource " + config.name() + " is shutting down");
        }
    }

    /**
     * The clean shutdown of the current role, then the listener, the endpoint, the bitmap and the
     * device: the assembly's close stack, as on a failed open. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("resource stopping resource={} role={}", config.name(), StatusJson.lower(role));
        try {
            resource.close();
        } finally {
            LOG.info("resource stopped resource={} owedRegions={}", config.name(), regions.owedCount());
        }
    }
}
