package io.mirrorgate.replicator.config;

/** What a primary does when it learns that the peer was promoted with a higher epoch. */
public enum AfterFenced {
    /** Stay primary, refusing every write (EROFS), until the operator says otherwise. The default. */
    STAY,
    /** Become secondary at once, so the new primary resyncs this replica. */
    BECOME_SECONDARY
}
