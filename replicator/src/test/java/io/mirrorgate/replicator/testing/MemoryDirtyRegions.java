package io.mirrorgate.replicator.testing;

import io.mirrorgate.replicator.bitmap.DirtyRegions;
import io.mirrorgate.replicator.bitmap.OwedBlocks;
import io.mirrorgate.replicator.bitmap.OwedRange;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An in-memory {@link DirtyRegions} that follows the interface's contract: regions are marked
 * ("on disk") before beginWrite completes; a region is unmarked only when idle, not owed and
 * its last write ended before the durability mark that both replicas' flushes reached; owed regions stay marked until markSynced. It also counts what
 * tests check: metadata writes and how many times each region was marked synced. With {@link
 * #trackBlocks()} it also knows the owed 4 KiB blocks, as the persistent bitmap does.
 */
public final class MemoryDirtyRegions implements DirtyRegions {
    private final long regionSize;
    private final long regionCount;
    private final long volumeSize;
    /** The owed blocks, or null: regions only. */
    private OwedBlocks blocks;
    private final BitSet marked = new BitSet();
    private final BitSet owed = new BitSet();
    private final Map<Integer, Integer> inFlight = new HashMap<>();
    private final Map<Integer, Integer> syncedCount = new HashMap<>();
    private final Map<Integer, Long> lastEnd = new HashMap<>();
    private long endSequence;
    private long metadataWrites;
    private boolean closed;

    public MemoryDirtyRegions(long volumeSize, long regionSize) {
        if (Long.bitCount(regionSize) != 1) {
            throw new IllegalArgumentException("region size must be a power of two: " + regionSize);
        }
        this.regionSize = regionSize;
        this.regionCount = (volumeSize + regionSize - 1) / regionSize;
        this.volumeSize = volumeSize;
    }

    /** From now on, writes that miss the peer owe only their 4 KiB blocks. */
    public synchronized MemoryDirtyRegions trackBlocks() {
        blocks = new OwedBlocks(regionSize, volumeSize);
        blocks.oweWhole(owed);
        return this;
    }

    @Override
    public synchronized List<OwedRange> owedRanges(long region) {
        return blocks == null ? DirtyRegions.super.owedRanges(region) : blocks.ranges(Math.toIntExact(region));
    }

    @Override
    public synchronized long owedBytes(long region) {
        return blocks == null ? DirtyRegions.super.owedBytes(region) : blocks.bytes(Math.toIntExact(region));
    }

    @Override
    public void markOwed(BitSet regions) {
        DirtyRegions.super.markOwed(regions);
        synchronized (this) {
            if (blocks != null) {
                blocks.oweWhole(regions); // the default owes one byte per region: whole, here
            }
        }
    }

    @Override
    public long regionSize() {
        return regionSize;
    }

    @Override
    public long regionCount() {
        return regionCount;
    }

    @Override
    public synchronized CompletableFuture<Void> beginWrite(long offset, long length) {
        checkOpen();
        for (int r = first(offset); r <= last(offset, length); r++) {
            inFlight.merge(r, 1, Integer::sum);
            if (!marked.get(r)) {
                marked.set(r);
                metadataWrites++;
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized void endWrite(long offset, long length, boolean replicated) {
        endSequence++;
        for (int r = first(offset); r <= last(offset, length); r++) {
            Integer n = inFlight.get(r);
            if (n == null) {
                throw new IllegalStateException("endWrite without beginWrite in region " + r);
            }
            if (n == 1) {
                inFlight.remove(r);
            } else {
                inFlight.put(r, n - 1);
            }
            lastEnd.put(r, endSequence);
            if (!replicated) {
                owed.set(r);
            }
        }
        if (!replicated && blocks != null) {
            blocks.oweRange(offset, length);
        }
    }

    @Override
    public synchronized void bothDurable() {
        bothDurable(durabilityMark());
    }

    @Override
    public synchronized long durabilityMark() {
        return endSequence;
    }

    @Override
    public synchronized void bothDurable(long mark) {
        for (int r = marked.nextSetBit(0); r >= 0; r = marked.nextSetBit(r + 1)) {
            if (!owed.get(r) && !inFlight.containsKey(r) && lastEnd.getOrDefault(r, 0L) <= mark) {
                marked.clear(r);
            }
        }
    }

    @Override
    public synchronized boolean isOwed(long region) {
        return owed.get(Math.toIntExact(region));
    }

    @Override
    public synchronized long owedCount() {
        return owed.cardinality();
    }

    @Override
    public synchronized long nextOwed(long fromRegion) {
        if (fromRegion >= regionCount) {
            return -1;
        }
        return owed.nextSetBit(Math.toIntExact(fromRegion));
    }

    @Override
    public synchronized void markSynced(long region) {
        int r = Math.toIntExact(region);
        owed.clear(r);
        if (blocks != null) {
            blocks.clear(r);
        }
        syncedCount.merge(r, 1, Integer::sum);
    }

    @Override
    public synchronized void markAllOwed() {
        owed.set(0, Math.toIntExact(regionCount));
        marked.set(0, Math.toIntExact(regionCount));
        if (blocks != null) {
            blocks.oweWhole(0, Math.toIntExact(regionCount) - 1);
        }
        metadataWrites++;
    }

    /** Makes the regions of {@code [offset, offset + length)} owed, as a degraded write would. */
    public synchronized void owe(long offset, long length) {
        for (int r = first(offset); r <= last(offset, length); r++) {
            owed.set(r);
            marked.set(r);
            if (blocks != null) {
                blocks.oweWhole(r, r);
            }
        }
    }

    /** How many times {@code region} was marked synced. */
    public synchronized int syncedCount(long region) {
        return syncedCount.getOrDefault(Math.toIntExact(region), 0);
    }

    /** The regions marked synced more than once. */
    public synchronized long regionsSyncedMoreThanOnce() {
        return syncedCount.values().stream().filter(n -> n > 1).count();
    }

    public synchronized boolean isMarked(long region) {
        return marked.get(Math.toIntExact(region));
    }

    /** Whether every owed region is also marked (the on-disk invariant). */
    public synchronized boolean owedAreMarked() {
        BitSet notMarked = (BitSet) owed.clone();
        notMarked.andNot(marked);
        return notMarked.isEmpty();
    }

    public synchronized long metadataWrites() {
        return metadataWrites;
    }

    public synchronized int inFlightRegions() {
        return inFlight.size();
    }

    private int first(long offset) {
        return Math.toIntExact(offset / regionSize);
    }

    private int last(long offset, long length) {
        return Math.toIntExact((offset + Math.max(length, 1) - 1) / regionSize);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("dirty regions closed");
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
