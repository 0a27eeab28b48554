package io.mirrorgate.replicator.resource;

import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.mirror.MirrorCounters;
import io.mirrorgate.replicator.mirror.ReplicationMode;
import io.mirrorgate.replicator.resync.ResyncProgress;

/**
 * An immutable snapshot of one resource, for {@code replicator status} (text, {@code --json})
 * and metrics.
 *
 * @param resource the resource name
 * @param role the role now (primary while a runtime runs, secondary otherwise)
 * @param state the replication state
 * @param peerConnected whether the peer link is up
 * @param mode the replication mode
 * @param regionSize bytes per bitmap region
 * @param owedRegions regions the peer is owed (to copy at the next resync)
 * @param owedBytes the bytes owed: whole regions, and the owed 4 KiB blocks of partly owed ones
 * @param generations the local generations as stored
 * @param peerGeneration the peer's generation, -1 while it is not connected
 * @param lastDecision the last sync decision's outcome, null before the first connection
 * @param message the last decision's message (names both sides' figures on split brain)
 * @param syncsCompleted resyncs that ended with both replicas recorded in sync
 * @param resync the resync progress
 * @param counters the mirror's I/O counters
 */
public record ResourceStatus(String resource, Role role, State state,
        boolean peerConnected, ReplicationMode mode, long regionSize, long owedRegions,
        long owedBytes, Generations generations, long peerGeneration, String lastDecision,
        String message, long syncsCompleted, ResyncProgress resync, MirrorCounters counters) {

    /** The replication state of the resource. */
    public enum State {
        /** The peer is not connected: writes are local only, their regions owed. */
        DISCONNECTED,
        /** Connected, copying local to peer; writes are replicated. */
        SYNC_SOURCE,
        /** Connected, copying peer to local; owed regions are read from the peer. */
        SYNC_TARGET,
        /** Connected and in sync: writes are replicated. */
        CONNECTED,
        /** Connected, but peer writes failed or the resync paused: writes are local only. */
        DEGRADED,
        /** Both wrote while apart: nothing is copied until resolved. */
        SPLIT_BRAIN,
        /** This primary was superseded by a higher epoch: writes are refused, the peer untouched. */
        FENCED
    }
}
