package io.mirrorgate.orchestrator.takeover;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What {@code replicator status --json} says of one resource, as far as failover cares.
 *
 * @param resource the resource name
 * @param primary whether this node is primary for it
 * @param state the replication state ({@code connected}, {@code disconnected}, {@code sync-source}, ...)
 * @param epoch this node's epoch for it
 * @param fenced whether this primary learned it was superseded and refuses writes
 * @param peerConnected whether the peer is connected
 * @param peerPrimary whether the peer says it is primary
 * @param peerEpoch the peer's epoch (0 when unknown)
 */
public record ReplicaStatus(String resource, boolean primary, String state, long epoch, boolean fenced,
        boolean peerConnected, boolean peerPrimary, long peerEpoch) {

    static ReplicaStatus fromJson(JsonNode r) {
        JsonNode peer = r.path("peer");
        return new ReplicaStatus(r.path("resource").asText(), "primary".equals(r.path("role").asText()),
                r.path("state").asText("unknown"), r.path("epoch").asLong(0), r.path("fenced").asBoolean(false),
                peer.path("connected").asBoolean(false), "primary".equals(peer.path("role").asText()),
                peer.path("epoch").asLong(0));
    }

    /** Connected and nothing owed either way. */
    public boolean inSync() {
        return "connected".equals(state);
    }
}
