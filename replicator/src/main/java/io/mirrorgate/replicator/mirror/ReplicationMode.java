package io.mirrorgate.replicator.mirror;

/** When a write is acknowledged to the application. */
public enum ReplicationMode {
    /**
     * When both replicas have it, each as durably as requested: FUA and flush are honoured on
     * both sides. The default.
     */
    FULLSYNC,
    /**
     * When the local write is done (FUA honoured locally) and the peer acknowledged the write;
     * the peer's copy is sent without FUA, so it may still be only in the peer's memory.
     */
    MEMSYNC,
    /**
     * When the local write is done. The peer's copy is queued in a backlog bounded in bytes; a
     * writer that finds the backlog full waits for room (backpressure). While the peer is away,
     * nothing is queued and the regions become owed. A flush is acknowledged when the local
     * flush is done; the peer is flushed too, in the background. A write acknowledged here can
     * be lost on the peer if the primary dies before the backlog drains.
     */
    ASYNC;

    /** The name used in configuration and status output ({@code fullsync}, ...). */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses a configuration name, case-insensitively. */
    public static ReplicationMode parse(String name) {
        for (ReplicationMode mode : values()) {
            if (mode.name().equalsIgnoreCase(name)) {
                return mode;
            }
        }
        throw new IllegalArgumentException(
                "replication mode: " + name + " (expected: fullsync, memsync or async)");
    }
}
