package io.mirrorgate.replicator.bitmap;

import io.mirrorgate.replicator.generation.Generations;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.UUID;

/**
 * What a metadata file holds, read without opening it for use (for {@code status} of a stopped
 * resource, and tests). {@code marked} has bit r set when region r is marked on disk.
 */
public record MetadataSnapshot(Path path, UUID uuid, String resource, String localNode, String peerNode,
        Generations generations, boolean cleanShutdown, long regionSize, long volumeSize, long regionCount,
        BitSet marked, long epoch) {

    public MetadataSnapshot {
        marked = (BitSet) marked.clone();
    }

    /** Whether region {@code region} is marked on disk. */
    public boolean isMarked(long region) {
        return marked.get(Math.toIntExact(region));
    }

    /** Number of marked regions. */
    public long markedCount() {
        return marked.cardinality();
    }

    @Override
    public BitSet marked() {
        return (BitSet) marked.clone();
    }
}
