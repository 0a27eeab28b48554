package io.mirrorgate.orchestrator.heartbeat;

import java.util.List;

/**
 * One heartbeat: who sends it, to whom, its place in the sender's sequence, and what the sender
 * is (role, epoch, each resource's state).
 *
 * @param node the sender's node name
 * @param peer the addressee's node name (a packet is only valid at its addressee)
 * @param incarnation the sender's start time (ms); a restart begins a new sequence
 * @param sequence increases by one per heartbeat within an incarnation
 * @param timestamp the sender's wall clock (ms) when sent
 * @param role the sender's role
 * @param epoch the sender's highest epoch over its resources
 * @param wantsFailback the sender is the home node, secondary and in sync, and wants its role back
 * @param resources each resource's role, state and epoch at the sender
 */
public record HeartbeatMessage(String node, String peer, long incarnation, long sequence, long timestamp,
        NodeRole role, long epoch, boolean wantsFailback, List<ResourceState> resources) {

    public HeartbeatMessage {
        resources = List.copyOf(resources);
    }

    /**
     * One resource as the sender sees it.
     *
     * @param name the resource
     * @param role its role at the sender
     * @param state the replication state ({@code connected}, {@code disconnected}, ...)
     * @param epoch its epoch at the sender
     */
    public record ResourceState(String name, NodeRole role, String state, long epoch) {}

    /** Whether every resource is connected and in sync at the sender. */
    public boolean allInSync() {
        return !resources.isEmpty() && resources.stream().allMatch(r -> "connected".equals(r.state()));
    }
}
