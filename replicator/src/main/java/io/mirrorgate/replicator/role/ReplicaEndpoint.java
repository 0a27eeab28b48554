package io.mirrorgate.replicator.role;

import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.bitmap.PersistentDirtyRegions;
import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.generation.PeerInfo;
import io.mirrorgate.common.lifecycle.DaemonThreads;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.ReplicationEndpoint;
import io.mirrorgate.server.ggate.ExportStateStore;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One resource's replica as its peer's primary reaches it over ggate: fencing by the epoch kept
 * in the resource's metadata, the generation the primary sees, and the replication handshake
 * (resource UUID, roles, epochs, generations, marked regions). The same object keeps this
 * node's epoch for both roles: {@link #raiseEpoch} when it is promoted, {@link #info} for the
 * handshake it sends as a primary.
 *
 * <p>Admission while this node is <em>secondary</em>: an epoch older than the highest seen is
 * fenced ({@code ESTALE}); a newer one is adopted, durably. While this node is <em>primary</em>
 * no primary is admitted ({@code EBUSY}); one presenting a higher epoch supersedes this node,
 * which the {@link Host} is told so that it stops writing.
 *
 * <p>The UUID: a secondary that never completed a sync (blank: {@code syncedPeer == 0}) adopts
 * the primary's at the handshake; otherwise a different UUID is refused ({@code EINVAL}), so a
 * resync never writes into the wrong disk.
 *
 * <p>Blocking metadata I/O runs on the endpoint's own thread; the ggate event loop only reads
 * the cached epoch.
 */
public final class ReplicaEndpoint implements ReplicationEndpoint, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaEndpoint.class);

    /** What the endpoint needs of the resource it belongs to. */
    public interface Host {
        /** The role now. */
        Role role();

        /** Whether this node is a primary that learned it was superseded. */
        boolean fenced();

        /** A primary with a higher epoch knocked while this node is primary: stop writing. */
        void superseded(long epoch, String node);
    }

    private final String resource;
    private final String node;
    private final PersistentDirtyRegions regions;
    private final MetadataFile metadata;
    private final Host host;
    private final ExecutorService io;
    private volatile long epoch;
    private volatile Session current;
    private volatile String lastFenced;
    private volatile Session synced;
    private final SyncTargetMark mark;

    public ReplicaEndpoint(String resource, String node, PersistentDirtyRegions regions, SyncTargetMark mark,
            Host host) {
        this.resource = resource;
        this.mark = mark;
        this.node = node;
        this.regions = regions;
        this.metadata = regions.metadata();
        this.host = host;
        this.epoch = metadata.epoch();
        this.io = Executors.newSingleThreadExecutor(DaemonThreads.named("replica-" + resource));
    }

    /** The highest epoch this replica has seen. */
    public long epoch() {
        return epoch;
    }

    /**
     * Raises this node's epoch above every epoch seen, durably (promotion): from now on a primary
     * presenting an older epoch is fenced. Returns the new epoch.
     */
    public synchronized long raiseEpoch() {
        long next = epoch + 1;
        metadata.storeEpoch(next);
        epoch = next;
        LOG.info("epoch raised resource={} node={} epoch={}", resource, node, next);
        return next;
    }

    /** This node's information for the handshake, in its role now. */
    public PeerInfo info() {
        Generations g = metadata.generations();
        return new PeerInfo(metadata.uuid(), node, host.role(), host.fenced(), epoch, g,
                regions.regionSize(), (int) regions.regionCount(), regions.markedRegions());
    }

    /** Whether a primary is connected to this replica now. */
    public boolean primaryConnected() {
        return current != null;
    }

    /**
     * Whether the connected primary told this replica that its resync completed (the replicas are
     * identical); false while a resync to this replica runs, or when no primary is connected.
     */
    public boolean inSync() {
        Session s = current;
        return s != null && synced == s;
    }

    /**
     * Why this replica is inconsistent (a resync to it began and has not finished: "resync from
     * node alpha started ..."), or null when it is consistent.
     */
    public String inconsistency() {
        return mark.describe();
    }

    /** A forced promotion takes this replica as it is: it no longer counts as inconsistent. */
    public void acceptInconsistency() {
        mark.clear();
    }

    /**
     * Waits up to {@code max} for the connected primary, if any, to disconnect (a primary that was
     * just made secondary closes its link, and the close reaches this node a moment later);
     * returns the node id of the primary still connected, or null.
     */
    public synchronized String awaitNoPrimary(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        long left;
        while (current != null && (left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Session s = current;
        return s == null ? null : s.nodeId();
    }

    /** The node id of the connected primary, or null. */
    public String connectedPrimary() {
        Session s = current;
        return s == null ? null : s.nodeId();
    }

    /** The last primary this node fenced (refused for its older epoch, or cut off), or null. */
    public String lastFenced() {
        return lastFenced;
    }

    /** Closes the connected primary's connection, if any (a forced promotion). */
    public void dropPrimary() {
        Session s = current;
        if (s != null) {
            lastFenced = "node " + s.nodeId() + " (epoch " + Long.toUnsignedString(s.epoch()) + ")";
            LOG.warn("dropping the connected primary resource={} peer={} node={}", resource, s.peer(),
                    s.nodeId());
            s.close();
        }
    }

    @Override
    public CompletableFuture<Admission> admit(Session session) {
        return CompletableFuture.supplyAsync(() -> {
            synchronized (this) {
                long mine = epoch;
                long theirs = session.epoch();
                int order = Long.compareUnsigned(theirs, mine);
                if (host.role() == Role.PRIMARY) {
                    if (order > 0) {
                        LOG.error("superseded: a primary with a higher epoch connected resource={} node={}"
                                + " epoch={} theirNode={} theirEpoch={}", resource, node, mine,
                                session.nodeId(), Long.toUnsignedString(theirs));
                        host.superseded(theirs, session.nodeId());
                        throw new MirrorgateException(ErrorCode.EBUSY, "resource " + resource + " is still"
                                + " primary on node " + node + " (epoch " + Long.toUnsignedString(mine) + "), superseded by your"
                                + " epoch " + Long.toUnsignedString(theirs) + ": it stops writing and can be"
                                + " resynced once it is secondary (replicator role " + resource
                                + " secondary on " + node + ")");
                    }
                    if (order < 0) {
                        lastFenced = "node " + session.nodeId() + " (epoch " + Long.toUnsignedString(theirs) + ")";
                        throw new MirrorgateException(ErrorCode.ESTALE, "resource " + resource
                                + " is primary on node " + node + " with epoch " + Long.toUnsignedString(mine) + ": your epoch "
                                + Long.toUnsignedString(theirs) + " is older, this node has been fenced");
                    }
                    throw new MirrorgateException(ErrorCode.EBUSY, "resource " + resource + " is primary"
                            + " on node " + node + " too (epoch " + Long.toUnsignedString(mine) + "): two primaries are not allowed;"
                            + " make one of them secondary (replicator role " + resource + " secondary)");
                }
                String fenced = ExportStateStore.fencedReason(theirs, mine);
                if (fenced != null) {
                    throw new MirrorgateException(ErrorCode.ESTALE, fenced);
                }
                if (order > 0) {
                    metadata.storeEpoch(theirs);
                    epoch = theirs;
                    LOG.info("epoch adopted from the primary resource={} node={} epoch={}", resource,
                            session.nodeId(), Long.toUnsignedString(theirs));
                }
                Session previous = current;
                current = session;
                if (previous != null && previous != session) {
                    previous.close();
                }
                return new Admission(epoch, reportedGeneration());
            }
        }, io);
    }

    /** The generation a primary sees: 0 while this replica never completed a sync (blank). */
    private long reportedGeneration() {
        Generations g = metadata.generations();
        return g.syncedPeer() == 0 ? 0 : g.local();
    }

    @Override
    public long highestEpoch() {
        return epoch;
    }

    @Override
    public CompletableFuture<Void> setGeneration(Session session, long generation) {
        return CompletableFuture.runAsync(() -> {
            checkServing(session);
            metadata.storeGenerations(new Generations(generation, generation, generation));
            regions.clearAll();
            mark.clear();
            synced = session;
            LOG.info("replica in sync with the primary resource={} primary={} generation={}", resource,
                    session.nodeId(), generation);
        }, io);
    }

    @Override
    public CompletableFuture<byte[]> exchange(Session session, byte[] request) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return answer(session, request);
            } catch (MirrorgateException e) {
                LOG.error("replication handshake refused resource={} peer={} node={} code={} reason=\"{}\"",
                        resource, session.peer(), session.nodeId(), e.code(), e.getMessage());
                throw e;
            }
        }, io);
    }

    private byte[] answer(Session session, byte[] request) {
        checkServing(session);
        PeerInfo primary = PeerInfo.decode(request);
        if (primary.regionSize() != regions.regionSize()) {
            throw new MirrorgateException(ErrorCode.EINVAL, "resource " + resource + ": region size "
                    + primary.regionSize() + " on node " + primary.node() + " but " + regions.regionSize()
                    + " on node " + node + " (expected: the same region_size on both nodes)");
        }
        UUID mine = metadata.uuid();
        if (!mine.equals(primary.uuid())) {
            if (metadata.generations().syncedPeer() != 0) {
                throw new MirrorgateException(ErrorCode.EINVAL, "resource " + resource + ": UUID mismatch:"
                        + " node " + primary.node() + " has " + primary.uuid() + ", this replica on node "
                        + node + " belongs to " + mine + "; refusing to resync into a different disk"
                        + " (if this replica is to be replaced, make it blank with replicator create "
                        + resource + " --force on node " + node + ")");
            }
            metadata.storeUuid(primary.uuid());
            LOG.info("blank replica adopted the primary's resource UUID resource={} uuid={} primary={}",
                    resource, primary.uuid(), primary.node());
        }
        if (!primary.node().equals(metadata.peerNode())) {
            metadata.storePeerNode(primary.node());
        }
        // from here the primary may resync this replica: inconsistent until it says it is done
        mark.set(primary.node());
        return info().encode();
    }

    /** Requests of a connection that is no longer the admitted primary's, or in the wrong role, fail. */
    private void checkServing(Session session) {
        if (host.role() != Role.SECONDARY) {
            throw new MirrorgateException(ErrorCode.EBUSY, "resource " + resource + " is primary on node "
                    + node + ": it does not serve its replica to another primary");
        }
        if (current != session) {
            throw new MirrorgateException(ErrorCode.ESTALE, "resource " + resource + ": this connection of node "
                    + session.nodeId() + " was superseded by a newer one");
        }
    }

    @Override
    public void ended(Session session) {
        synchronized (this) {
            if (current == session) {
                current = null;
                notifyAll();
                LOG.info("primary disconnected resource={} peer={} node={}", resource, session.peer(),
                        session.nodeId());
            }
        }
    }

    /** Stops the endpoint's thread. Idempotent. */
    @Override
    public void close() {
        DaemonThreads.stop(io, Duration.ofSeconds(10));
    }
}
