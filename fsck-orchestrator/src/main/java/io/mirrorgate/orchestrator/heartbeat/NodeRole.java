package io.mirrorgate.orchestrator.heartbeat;

import java.util.Locale;

/** A node's role as a heartbeat carries it. */
public enum NodeRole {
    /** Not known yet (the replicator has not answered), or the resources disagree. */
    UNKNOWN,
    PRIMARY,
    SECONDARY;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
