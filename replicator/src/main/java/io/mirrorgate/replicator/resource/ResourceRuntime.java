package io.mirrorgate.replicator.resource;

import io.mirrorgate.replicator.bitmap.DirtyRegions;
import io.mirrorgate.replicator.generation.GenerationStore;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.replicator.generation.SplitBrainResolution;
import io.mirrorgate.replicator.generation.SyncDecision;
import io.mirrorgate.replicator.generation.SyncDirection;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.mirror.PeerLink;
import io.mirrorgate.replicator.resync.ResyncEngine;
import io.mirrorgate.replicator.resync.ResyncProgress;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.util.BitSet;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replicated resource at run time: the {@link MirrorDevice} (what the NBD server exports),
 * the resync engine, and the reactions to the peer coming and going.
 *
 * <ul>
 *   <li>Peer connected: {@link SyncDecision#decide} on the stored generations and the peer's;
 *       mark what must be copied, attach the peer to the mirror (writes are replicated from
 *       now on) and start the resync. A split brain is resolved by the configured policy or
 *       left alone (state SPLIT_BRAIN, nothing written to the peer) until {@link
 *       #resolveSplitBrain}.</li>
 *   <li>Resync completed: when local was the source, the peer's generation is set to the local
 *       one first, then the local store records both as in sync. (Peer first: a crash in
 *       between then looks like a split brain and waits for the operator, instead of silently
 *       copying in a direction nobody chose.)</li>
 *   <li>Peer gone, or a peer write failed: the mirror is detached (degraded) and the resync
 *       pauses; the next connection resumes it. {@link #retryPeer} re-runs the decision when
 *       the link stayed up but its requests failed.</li>
 * </ul>
 *
 * <p>Decisions run on one control thread; read-modify-writes of the generation store (the
 * mirror's raise and the in-sync record) run on one metadata thread, so they never interleave.
 * Peer-link listeners only hand work to those threads: they may be called on an event loop.
 *
 * <p>The runtime decides; it does not wire. {@link PrimarySide} opens the threads, the mirror and
 * the engine it runs on and closes them after {@link #close()}, which only stops listening to the
 * peer (later events are ignored); the {@link Resource} owns the local replica and the bitmap.
 */
public final class ResourceRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceRuntime.class);

    private final ResourceOptions options;
    private final BlockDevice local;
    private final PeerLink peer;
    private final DirtyRegions dirty;
    private final GenerationStore store;
    private final Executor control;
    private final Executor metadata;
    private final MirrorDevice mirror;
    private final ResyncEngine engine;

    private volatile ResourceStatus.State state = ResourceStatus.State.DISCONNECTED;
    private volatile SyncDecision lastDecision;
    /** Incremented at each attach and detach; a resync completion of an older epoch is stale. */
    private volatile long epoch;
    private final java.util.concurrent.atomic.AtomicLong syncsCompleted =
            new java.util.concurrent.atomic.AtomicLong();
    private AutoCloseable listenerHandle;
    private volatile java.util.function.Consumer<String> fencedListener = reason -> { };
    private boolean fencedReported;
    private boolean closed;

    /**
     * The decisions on the parts {@link PrimarySide} opened: the resource's local replica, bitmap
     * and store, the peer link, the mirror and engine over them, the control and metadata threads.
     */
    ResourceRuntime(ResourceOptions options, Resource resource, PeerLink peer, MirrorDevice mirror,
            ResyncEngine engine, Executor control, Executor metadata) {
        this.options = options;
        this.local = resource.local();
        this.peer = peer;
        this.dirty = resource.dirty();
        this.store = resource.store();
        this.control = control;
        this.metadata = metadata;
        this.mirror = mirror;
        this.engine = engine;
        mirror.onPeerLost(cause -> control.execute(() -> {
            if (mirror.fencedReason() != null) {
                fenced(mirror.fencedReason());
            } else {
                peerLost("peer request failed: " + MirrorgateException.messageOf(cause));
            }
        }));
    }

    /** Listens to the peer link; decides at once if the peer is already connected. */
    public synchronized void start() {
        listenerHandle = peer.addListener(new PeerLink.Listener() {
            @Override
            public void connected() {
                control.execute(ResourceRuntime.this::connect);
            }

            @Override
            public void disconnected() {
                mirror.detachPeer();
                control.execute(() -> peerLost("peer disconnected"));
            }

            @Override
            public void refused(MirrorgateException cause) {
                if (cause.code() == ErrorCode.ESTALE) {
                    fence("the peer has a newer epoch: " + cause.getMessage());
                }
            }
        });
        if (peer.isConnected()) {
            control.execute(this::connect);
        }
        LOG.info("resource started resource={} mode={} peer={} connected={}", options.name(),
                options.mode().configName(), peer.device().name(), peer.isConnected());
    }

    /**
     * This primary was superseded (the peer was promoted with a higher epoch): writes are refused
     * with {@code EROFS} from now on, nothing is written to the peer, the resync stops. Idempotent.
     */
    public void fence(String reason) {
        mirror.fence(reason);
        control.execute(() -> fenced(reason));
    }

    /** Why this primary was fenced, or null. */
    public String fencedReason() {
        return mirror.fencedReason();
    }

    /** Registers what to do once this primary is fenced (called once, on the control thread). */
    public void onFenced(java.util.function.Consumer<String> listener) {
        this.fencedListener = listener;
    }

    /** The mirrored volume, to export over NBD or use locally. */
    public MirrorDevice device() {
        return mirror;
    }

    /** Re-runs the connection decision if the link is up (after peer requests failed). */
    public CompletableFuture<Void> retryPeer() {
        return CompletableFuture.runAsync(this::connect, control);
    }

    /**
     * Resolves a split brain as the operator says ({@code --discard-local} or {@code
     * --discard-remote}) and starts the resync. {@code peerDirty}: the peer's dirty regions when
     * known (then discard-remote copies their union with the owed regions, not everything).
     * Fails with {@code EINVAL} when the resource is not split-brained or the peer is away.
     */
    public CompletableFuture<SyncDecision> resolveSplitBrain(SplitBrainResolution resolution,
            Optional<BitSet> peerDirty) {
        return CompletableFuture.supplyAsync(() -> {
            if (state != ResourceStatus.State.SPLIT_BRAIN || !peer.isConnected()) {
                throw new MirrorgateException(ErrorCode.EINVAL, String.format(
                        "resource %s: nothing to resolve (state %s, peer %s)", options.name(),
                        state, peer.isConnected() ? "connected" : "away"));
            }
            SyncDecision decision = SyncDecision.resolve(resolution, store.generations(),
                    peer.generation(), peerDirty.or(() -> peer.peerInfo().map(PeerInfo::marked)));
            begin(decision);
            return decision;
        }, control);
    }

    public ResourceStatus status() {
        SyncDecision decision = lastDecision;
        long owed = dirty.owedCount();
        boolean connected = peer.isConnected();
        return new ResourceStatus(options.name(), options.role(), state, connected,
                options.mode(), dirty.regionSize(), owed, dirty.owedBytes(),
                store.generations(), connected ? peer.generation() : -1,
                decision != null ? decision.outcome().name() : null,
                decision != null ? decision.message() : null, syncsCompleted.get(),
                engine.progress(), mirror.counters());
    }

    // ---- control thread ----

    private void connect() {
        if (!peer.isConnected() || isClosed() || mirror.fencedReason() != null) {
            return;
        }
        mirror.detachPeer();
        engine.pause();
        Generations generations = store.generations();
        long peerGeneration = peer.generation();
        Optional<BitSet> peerMarked = peer.peerInfo().map(PeerInfo::marked);
        SyncDecision decision = SyncDecision.decide(generations, peerGeneration).withPeerMarks(peerMarked);
        if (decision.refused() && options.splitBrainPolicy().isPresent()) {
            LOG.warn("split brain resolved by policy resource={} policy={} {}", options.name(),
                    options.splitBrainPolicy().get(), decision.message());
            decision = SyncDecision.resolve(options.splitBrainPolicy().get(), generations,
                    peerGeneration, peerMarked);
        }
        if (decision.refused()) {
            lastDecision = decision;
            state = ResourceStatus.State.SPLIT_BRAIN;
            engine.splitBrain(decision.message());
            LOG.error("resource={} {}", options.name(), decision.message());
            return;
        }
        begin(decision);
    }

    /** Marks what the decision copies, attaches the peer and starts the resync. */
    private void begin(SyncDecision decision) {
        lastDecision = decision;
        LOG.info("peer connected resource={} decision={} {}", options.name(), decision.outcome(),
                decision.message());
        switch (decision.copy()) {
            case ALL -> dirty.markAllOwed();
            case OWED_AND_PEER_DIRTY -> decision.peerDirty().ifPresent(dirty::markOwed);
            default -> { }
        }
        boolean localTarget = decision.direction() == SyncDirection.PEER_TO_LOCAL;
        try {
            mirror.attachPeer(localTarget);
        } catch (MirrorgateException e) {
            state = ResourceStatus.State.DEGRADED;
            LOG.error("cannot attach peer resource={} error={}", options.name(), e.getMessage());
            return;
        }
        long myEpoch = ++epoch;
        state = localTarget ? ResourceStatus.State.SYNC_TARGET : ResourceStatus.State.SYNC_SOURCE;
        BlockDevice source = localTarget ? peer.device() : local;
        BlockDevice target = localTarget ? local : peer.device();
        engine.start(decision.direction(), source, target).whenCompleteAsync((v, err) -> {
            if (err == null) {
                completed(decision.direction(), myEpoch);
            }
        }, control);
    }

    private void completed(SyncDirection direction, long myEpoch) {
        if (myEpoch != epoch || !mirror.isPeerAttached()) {
            return;
        }
        long localGeneration = store.generations().local();
        boolean replicatorPeer = peer.peerInfo().isPresent();
        if (direction == SyncDirection.PEER_TO_LOCAL && replicatorPeer) {
            adoptPeerGeneration(myEpoch);
            return;
        }
        CompletableFuture<Void> peerRecorded = direction == SyncDirection.LOCAL_TO_PEER
                ? peer.setGeneration(localGeneration) : CompletableFuture.completedFuture(null);
        long peerGeneration = direction == SyncDirection.LOCAL_TO_PEER ? localGeneration
                : peer.generation();
        peerRecorded.thenRunAsync(() -> {
            // On the metadata thread: never interleaves with the mirror's generation raise.
            if (myEpoch != epoch || !mirror.isPeerAttached()) {
                return;
            }
            Generations now = store.generations();
            Generations synced = SyncDecision.inSync(now, peerGeneration);
            if (!synced.equals(now)) {
                store.storeGenerations(synced);
            }
            mirror.setLocalStale(false);
            state = ResourceStatus.State.CONNECTED;
            LOG.info("replicas in sync resource={} generation={} peerGeneration={}",
                    options.name(), synced.local(), peerGeneration);
            syncsCompleted.incrementAndGet();
        }, metadata).whenComplete((v, err) -> {
            if (err != null) {
                LOG.error("cannot record the replicas in sync resource={} error={}",
                        options.name(), MirrorgateException.messageOf(err));
            }
        });
    }

    /**
     * A peer-to-local resync from another replicator completed: this replica now holds the
     * peer's data, so it takes the peer's generation (both record the same figures), then the
     * peer is told, which clears its marks. A crash in between recopies what the peer still marks.
     */
    private void adoptPeerGeneration(long myEpoch) {
        long peerGeneration = peer.generation();
        CompletableFuture.runAsync(() -> {
            if (myEpoch != epoch || !mirror.isPeerAttached()) {
                return;
            }
            store.storeGenerations(new Generations(peerGeneration, peerGeneration, peerGeneration));
            mirror.setLocalStale(false);
        }, metadata).thenCompose(v -> peer.setGeneration(peerGeneration)).whenCompleteAsync((v, err) -> {
            if (err != null) {
                LOG.error("cannot record the replicas in sync resource={} error={}", options.name(),
                        MirrorgateException.messageOf(err));
                return;
            }
            if (myEpoch != epoch || !mirror.isPeerAttached()) {
                return;
            }
            state = ResourceStatus.State.CONNECTED;
            LOG.info("replicas in sync resource={} generation={} (taken from the peer)", options.name(),
                    peerGeneration);
            syncsCompleted.incrementAndGet();
        }, control);
    }

    /** On the control thread: the mirror is fenced; stop the resync and report once. */
    private void fenced(String reason) {
        mirror.detachPeer();
        epoch++;
        engine.pause();
        state = ResourceStatus.State.FENCED;
        if (!fencedReported) {
            fencedReported = true;
            LOG.error("primary fenced resource={} reason=\"{}\" (writes are refused; make this node secondary"
                    + " with: replicator role {} secondary)", options.name(), reason, options.name());
            fencedListener.accept(reason);
        }
    }

    private void peerLost(String reason) {
        mirror.detachPeer();
        epoch++;
        engine.pause();
        if (state != ResourceStatus.State.SPLIT_BRAIN && state != ResourceStatus.State.FENCED) {
            state = peer.isConnected() ? ResourceStatus.State.DEGRADED
                    : ResourceStatus.State.DISCONNECTED;
        }
        LOG.warn("replication interrupted resource={} reason={} owedRegions={}", options.name(),
                reason, dirty.owedCount());
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Stops listening to the peer; the decisions end here. Idempotent. */
    @Override
    public void close() {
        AutoCloseable handle;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            handle = listenerHandle;
        }
        try {
            if (handle != null) {
                handle.close();
            }
        } catch (Exception e) {
            throw new MirrorgateException(ErrorCode.EIO, "closing resource " + options.name(), e);
        }
    }

    /** The progress of the current resync (also in {@link #status()}). */
    public ResyncProgress progress() {
        return engine.progress();
    }
}
