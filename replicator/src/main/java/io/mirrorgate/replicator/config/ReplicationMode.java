package io.mirrorgate.replicator.config;

/** When a write is acknowledged (DESIGN.md, Replication: write path). */
public enum ReplicationMode {
    /** Once both replicas hold it (durably when FUA/flush asks). The default. */
    FULLSYNC,
    /** Once it is local and the peer has received it. */
    MEMSYNC,
    /** Once it is local; the peer gets it from a bounded backlog. */
    ASYNC
}
