package io.mirrorgate.replicator.config;

/** What to do when both replicas wrote while apart. */
public enum SplitBrainPolicy {
    /** Overwrite nothing; wait for the operator to say which side wins. The default. */
    REFUSE,
    /** The secondary's independent writes are discarded: it is resynced from the primary. */
    DISCARD_SECONDARY
}
