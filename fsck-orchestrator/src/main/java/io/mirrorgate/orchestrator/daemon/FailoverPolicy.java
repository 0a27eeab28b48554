package io.mirrorgate.orchestrator.daemon;

import io.mirrorgate.orchestrator.heartbeat.HeartbeatMessage;
import io.mirrorgate.orchestrator.heartbeat.NodeRole;
import io.mirrorgate.orchestrator.heartbeat.PeerTracker.Liveness;

/**
 * What a node does, given what it is and what it knows of its peer. Pure: the daemon calls it on
 * every tick, tests call it with any combination.
 *
 * <ul>
 *   <li>peer dead, this node secondary: take over (the daemon first checks the ping targets: a
 *       node cut off from all of them does not), unless a takeover already failed during this
 *       outage (that needs the operator);</li>
 *   <li>this node primary and fenced (its replicator met a higher epoch), whatever the peer's
 *       state, or the peer alive and primary with a higher epoch: it was superseded, so it steps
 *       down (stops its services and addresses, becomes secondary);</li>
 *   <li>with {@code auto_failback}: the node that is not home hands the role back (demote) when
 *       the home node is alive, secondary, in sync and asks for it; the home node then takes the
 *       role (a takeover without force) once the peer says it is secondary.</li>
 * </ul>
 */
public final class FailoverPolicy {
    private FailoverPolicy() {}

    /** What to do. */
    public enum Action { NONE, TAKEOVER, STEP_DOWN, FAILBACK_DEMOTE, FAILBACK_TAKEOVER }

    /** An action and why. */
    public record Decision(Action action, String reason) {
        static Decision none(String reason) {
            return new Decision(Action.NONE, reason);
        }
    }

    /**
     * @param local this node
     * @param liveness the peer by the heartbeat timers
     * @param peer the peer's last accepted heartbeat (null when none)
     * @param wantsFailback this node is home and ready to take the role back (see {@link #wantsFailback})
     * @param peerIsHome auto_failback is on and the peer is the home node
     * @param takeoverFailed a takeover already failed during this outage of the peer
     */
    public static Decision decide(LocalState local, Liveness liveness, HeartbeatMessage peer, boolean wantsFailback,
            boolean peerIsHome, boolean takeoverFailed) {
        if (local.role() == NodeRole.UNKNOWN) {
            return Decision.none("own role unknown: " + local.error());
        }
        if (local.role() == NodeRole.PRIMARY && local.fenced()) {
            return new Decision(Action.STEP_DOWN, "superseded: the replicator says this primary is fenced");
        }
        if (liveness == Liveness.WAITING) {
            return Decision.none("waiting for the peer's first heartbeat (initdead)");
        }
        if (liveness == Liveness.DEAD) {
            if (local.role() == NodeRole.PRIMARY) {
                return Decision.none("peer dead; this node is primary already");
            }
            if (takeoverFailed) {
                return Decision.none("peer dead; the takeover failed, see the last plan (promote-standby retries)");
            }
            return new Decision(Action.TAKEOVER, "peer dead (no valid heartbeat for deadtime)");
        }
        // the peer is alive (or late): its heartbeat is current
        if (local.role() == NodeRole.PRIMARY) {
            if (peer.role() == NodeRole.PRIMARY && peer.epoch() > local.epoch()) {
                return new Decision(Action.STEP_DOWN, "superseded: the peer is primary with epoch " + peer.epoch()
                        + " > " + local.epoch());
            }
            if (peerIsHome && peer.role() == NodeRole.SECONDARY && peer.wantsFailback()) {
                return new Decision(Action.FAILBACK_DEMOTE, "auto_failback: the home node is back and in sync");
            }
            return Decision.none("primary; peer alive as " + peer.role().label());
        }
        if (wantsFailback && peer.role() == NodeRole.SECONDARY) {
            return new Decision(Action.FAILBACK_TAKEOVER, "auto_failback: the peer handed the role back");
        }
        return Decision.none("secondary; peer alive as " + peer.role().label());
    }

    /** Whether this node, secondary, home and in sync, asks for its role back (with auto_failback). */
    public static boolean wantsFailback(LocalState local, boolean autoFailback, boolean iAmHome) {
        return autoFailback && iAmHome && local.role() == NodeRole.SECONDARY && local.allInSync() && !local.fenced();
    }
}
