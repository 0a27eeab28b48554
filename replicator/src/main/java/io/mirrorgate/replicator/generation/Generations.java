package io.mirrorgate.replicator.generation;

/**
 * What a replica records of the history of its data, to decide at connection time which side is
 * the sync source, or that both wrote while apart (split brain).
 *
 * <ul>
 *   <li>{@code local}: this replica's data generation. It is raised (and persisted) before the
 *       first write this replica accepts while its peer does not get it (degraded).</li>
 *   <li>{@code syncedLocal}: the value {@code local} had the last time both replicas were in
 *       sync. {@code local != syncedLocal} means: this side wrote while apart.</li>
 *   <li>{@code syncedPeer}: the peer's generation the last time both were in sync. A peer that
 *       now reports another value wrote while apart (for example a standby that was promoted).</li>
 * </ul>
 */
public record Generations(long local, long syncedLocal, long syncedPeer) {

    /** The generations of a freshly created resource: nothing written, nothing in sync yet. */
    public static Generations initial() {
        return new Generations(1, 1, 0);
    }

    /** Whether this side wrote while the replicas were apart. */
    public boolean wroteWhileApart() {
        return local != syncedLocal;
    }
}
