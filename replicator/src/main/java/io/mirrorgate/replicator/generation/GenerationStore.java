package io.mirrorgate.replicator.generation;

/** Durable storage of a replica's {@link Generations} (the metadata file's header). */
public interface GenerationStore {

    /** The generations as last stored. */
    Generations generations();

    /** Stores {@code generations}; durable on disk when this returns. */
    void storeGenerations(Generations generations);
}
