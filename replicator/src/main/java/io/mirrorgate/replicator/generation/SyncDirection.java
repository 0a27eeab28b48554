package io.mirrorgate.replicator.generation;

/** Which replica a resync copies from. */
public enum SyncDirection {
    /** Nothing to copy (split brain, refused). */
    NONE,
    /** The local replica is the source, the peer the target. */
    LOCAL_TO_PEER,
    /** The peer is the source, the local replica the target. */
    PEER_TO_LOCAL
}
