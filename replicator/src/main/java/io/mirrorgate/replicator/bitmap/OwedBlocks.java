package io.mirrorgate.replicator.bitmap;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the peer is owed, at two granularities: the owed regions, and for some of them the 4 KiB
 * blocks ({@link #BLOCK}) the peer lacks. A region owed without block information is owed
 * <em>whole</em>: that is what every marked region is after an open that found no valid fine map
 * ({@link OwedBlocksFile}), what {@link #oweWhole} makes, and what a region whose blocks are all
 * owed becomes. A write that did not reach the peer adds only its blocks ({@link #oweRange}),
 * unless the region is already owed whole.
 *
 * <p>Memory: nothing per region not owed or owed whole (one bit of {@link #regions()}); per
 * partly owed region one bit per block ({@code regionSize / 4096} bits: 128 bytes for 4 MiB
 * regions) plus a map entry. Not thread-safe: {@link PersistentDirtyRegions} calls it under its
 * lock.
 */
public final class OwedBlocks {
    /** The fine granularity: bytes per block. */
    public static final int BLOCK = 4096;
    private static final int BLOCK_SHIFT = 12;

    private final long regionSize;
    private final long volumeSize;
    private final int regionCount;
    private final int blocksPerRegion;
    private final BitSet regions = new BitSet();
    /** Partly owed regions: region to its owed blocks (never empty, never all blocks). */
    private final Map<Integer, BitSet> partial = new HashMap<>();

    /** Nothing owed, for a volume of {@code volumeSize} bytes in regions of {@code regionSize}. */
    public OwedBlocks(long regionSize, long volumeSize) {
        if (regionSize < 512 || Long.bitCount(regionSize) != 1) {
            throw new IllegalArgumentException("region size " + regionSize + " (expected: a power of two, >= 512)");
        }
        this.regionSize = regionSize;
        this.volumeSize = volumeSize;
        this.regionCount = Math.toIntExact((volumeSize + regionSize - 1) / regionSize);
        this.blocksPerRegion = (int) Math.max(1, regionSize >>> BLOCK_SHIFT);
    }

    /** Blocks per region (1 when regions are no larger than a block: every owed region is whole). */
    public int blocksPerRegion() {
        return blocksPerRegion;
    }

    /** Regions {@code first..last} are owed whole. */
    public void oweWhole(int first, int last) {
        regions.set(first, last + 1);
        if (!partial.isEmpty()) {
            for (int r = first; r <= last; r++) {
                partial.remove(r);
            }
        }
    }

    /** Every region in {@code owe} is owed whole. */
    public void oweWhole(BitSet owe) {
        for (int r = owe.nextSetBit(0); r >= 0; r = owe.nextSetBit(r + 1)) {
            oweWhole(r, r);
        }
    }

    /**
     * The peer lacks {@code [offset, offset + length)}: the blocks it touches are owed (rounded out
     * to whole blocks), in regions not already owed whole.
     */
    public void oweRange(long offset, long length) {
        if (length <= 0) {
            return;
        }
        long firstBlock = offset >>> BLOCK_SHIFT;
        long lastBlock = (offset + length - 1) >>> BLOCK_SHIFT;
        int firstRegion = (int) (offset / regionSize);
        int lastRegion = (int) ((offset + length - 1) / regionSize);
        for (int r = firstRegion; r <= lastRegion; r++) {
            if (blocksPerRegion == 1) {
                oweWhole(r, r);
                continue;
            }
            BitSet blocks = partial.get(r);
            if (regions.get(r) && blocks == null) {
                continue; // owed whole already
            }
            long regionFirst = (long) r * blocksPerRegion;
            int from = (int) (Math.max(firstBlock, regionFirst) - regionFirst);
            int to = (int) (Math.min(lastBlock, regionFirst + blocksPerRegion - 1) - regionFirst);
            if (blocks == null) {
                blocks = new BitSet(blocksPerRegion);
                partial.put(r, blocks);
                regions.set(r);
            }
            blocks.set(from, to + 1);
            if (blocks.cardinality() >= blocksInRegion(r)) {
                partial.remove(r); // every block owed: whole
            }
        }
    }

    /** Whether region {@code r} is owed (whole or in part). */
    public boolean isOwed(int r) {
        return regions.get(r);
    }

    /** Whether region {@code r} is owed whole. */
    public boolean isWhole(int r) {
        return regions.get(r) && !partial.containsKey(r);
    }

    /** Number of owed regions. */
    public int count() {
        return regions.cardinality();
    }

    /** The first owed region at or after {@code from}, or -1. */
    public int next(int from) {
        return regions.nextSetBit(from);
    }

    /** The owed regions; a live view that the caller must not change. */
    BitSet regions() {
        return regions;
    }

    /** Region {@code r} is no longer owed (copied). */
    public void clear(int r) {
        regions.clear(r);
        partial.remove(r);
    }

    /** Nothing is owed. */
    public void clearAll() {
        regions.clear();
        partial.clear();
    }

    /**
     * What the peer is owed in region {@code r}, as byte ranges in order, adjacent blocks
     * coalesced, clipped to the volume's end; the whole region when owed whole; empty when not owed.
     */
    public List<OwedRange> ranges(int r) {
        if (!regions.get(r)) {
            return List.of();
        }
        long start = (long) r * regionSize;
        BitSet blocks = partial.get(r);
        if (blocks == null) {
            return List.of(new OwedRange(start, regionLength(r)));
        }
        List<OwedRange> out = new ArrayList<>();
        for (int b = blocks.nextSetBit(0); b >= 0; ) {
            int end = blocks.nextClearBit(b);
            long from = start + ((long) b << BLOCK_SHIFT);
            long to = Math.min(start + ((long) end << BLOCK_SHIFT), volumeSize);
            out.add(new OwedRange(from, to - from));
            b = blocks.nextSetBit(end);
        }
        return out;
    }

    /** Bytes owed in region {@code r} (what its copy writes). */
    public long bytes(int r) {
        if (!regions.get(r)) {
            return 0;
        }
        BitSet blocks = partial.get(r);
        return blocks == null ? regionLength(r) : bytesOf(r, blocks);
    }

    /** Bytes owed in all. */
    public long bytes() {
        long total = 0;
        for (int r = regions.nextSetBit(0); r >= 0; r = regions.nextSetBit(r + 1)) {
            BitSet blocks = partial.get(r);
            total += blocks == null ? regionLength(r) : bytesOf(r, blocks);
        }
        return total;
    }

    /** Number of partly owed regions. */
    public int partialCount() {
        return partial.size();
    }

    /**
     * The partly owed regions and their blocks (copies), leaving out {@code exclude}: what {@link
     * OwedBlocksFile} stores; the regions left out are read back as owed whole.
     */
    public Map<Integer, BitSet> partialSnapshot(BitSet exclude) {
        Map<Integer, BitSet> out = new HashMap<>();
        partial.forEach((r, blocks) -> {
            if (!exclude.get(r)) {
                out.put(r, (BitSet) blocks.clone());
            }
        });
        return out;
    }

    /**
     * Narrows region {@code r}, owed whole, to {@code blocks} (a fine map read back): ignored when
     * the region is not owed (the marks on disk win) or the blocks are empty or out of range.
     * Returns whether the region was narrowed.
     */
    public boolean narrow(int r, BitSet blocks) {
        if (!isWhole(r) || blocks.isEmpty() || blocks.length() > blocksInRegion(r)
                || blocks.cardinality() >= blocksInRegion(r)) {
            return false;
        }
        partial.put(r, (BitSet) blocks.clone());
        return true;
    }

    private long bytesOf(int r, BitSet blocks) {
        long bytes = (long) blocks.cardinality() << BLOCK_SHIFT;
        long regionEnd = (long) r * regionSize + regionLength(r);
        int lastBlock = blocks.length() - 1;
        long lastEnd = (long) r * regionSize + ((long) (lastBlock + 1) << BLOCK_SHIFT);
        return bytes - Math.max(0, lastEnd - regionEnd); // the last block may pass the volume's end
    }

    private long regionLength(int r) {
        return Math.min(regionSize, volumeSize - (long) r * regionSize);
    }

    private int blocksInRegion(int r) {
        return (int) ((regionLength(r) + BLOCK - 1) >>> BLOCK_SHIFT);
    }

    int regionCount() {
        return regionCount;
    }
}
