package io.mirrorgate.orchestrator.heartbeat;

/**
 * Tells "the peer is dead" from "I am cut off": a standby that reaches none of its ping targets
 * must not take over, because the primary is probably fine and only this node lost the network.
 */
@FunctionalInterface
public interface Reachability {
    /** Whether at least one ping target answers (true when none is configured). */
    boolean anyReachable();
}
