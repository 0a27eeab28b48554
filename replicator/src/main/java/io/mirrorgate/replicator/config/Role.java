package io.mirrorgate.replicator.config;

/** The role a resource starts in: the primary serves the volume, the secondary receives writes. */
public enum Role {
    PRIMARY,
    SECONDARY
}
