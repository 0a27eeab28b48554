package io.mirrorgate.server.export;

import java.util.concurrent.CompletableFuture;

/**
 * What an export served by a replicator (its replica, while it is the secondary) adds to a
 * plain export: fencing and generation state kept in the replicator's own metadata instead of
 * the ggate server's per-export state files, and the replication handshake ({@code PEER_INFO}),
 * whose payloads this layer passes through without reading them.
 *
 * <p>The ggate server calls {@link #admit} once a client has authenticated and passed the
 * access checks, {@link #highestEpoch} before every mutating request, and {@link #ended} when
 * an admitted connection closes. Implementations must not block the caller: the futures
 * complete on the endpoint's own threads.
 */
public interface ReplicationEndpoint {

    /** An admitted connection, as the endpoint sees it. */
    interface Session {
        /** The client's address, for logs. */
        String peer();

        /** The node id the client presented. */
        String nodeId();

        /** The epoch the client presented. */
        long epoch();

        /** Closes the connection (requests in flight still finish). Thread-safe. */
        void close();
    }

    /**
     * The figures a welcome carries.
     *
     * @param highestEpoch the highest epoch this replica has seen
     * @param generation the replica's generation as the client must see it (0: never in sync)
     */
    record Admission(long highestEpoch, long generation) {}

    /**
     * Admits {@code session}, or fails with the reason the client gets: {@code ESTALE} when its
     * epoch is older than the highest seen, {@code EBUSY} when this node cannot serve a primary
     * now (it is primary itself).
     */
    CompletableFuture<Admission> admit(Session session);

    /** The highest epoch seen: a mutating request with an older epoch is fenced. */
    long highestEpoch();

    /** Records that the replicas are in sync at {@code generation} (the client's SET_GENERATION). */
    CompletableFuture<Void> setGeneration(Session session, long generation);

    /** Answers the client's replication handshake: its peer information for this side's. */
    CompletableFuture<byte[]> exchange(Session session, byte[] request);

    /** An admitted connection closed. */
    void ended(Session session);
}
