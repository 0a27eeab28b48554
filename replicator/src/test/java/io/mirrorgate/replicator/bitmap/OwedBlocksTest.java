package io.mirrorgate.replicator.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The in-memory fine map: blocks owed per region, coalescing, whole-region fallback, clearing. */
class OwedBlocksTest {
    private static final long KIB = 1024;
    private static final long REGION = 1024 * KIB;
    private static final long VOLUME = 4 * REGION;

    @Test
    void aWriteOwesOnlyTheBlocksItTouchesRoundedOutToWholeBlocks() {
        OwedBlocks owed = new OwedBlocks(REGION, VOLUME);
        owed.oweRange(REGION + 4 * KIB + 100, 200); // inside block 1 of region 1
        assertTrue(owed.isOwed(1));
        assertFalse(owed.isWhole(1));
        assertEquals(List.of(new OwedRange(REGION + 4 * KIB, 4 * KIB)), owed.ranges(1));
        assertEquals(4 * KIB, owed.bytes(1));
        assertEquals(4 * KIB, owed.bytes());
        assertEquals(1, owed.count());
    }

    @Test
    void adjacentBlocksAreCoalescedIntoOneRangeAndGapsKeptApart() {
        OwedBlocks owed = new OwedBlocks(REGION, VOLUME);
        owed.oweRange(8 * KIB, 4 * KIB);
        owed.oweRange(12 * KIB, 8 * KIB);
        owed.oweRange(40 * KIB, 4 * KIB);
        assertEquals(List.of(new OwedRange(8 * KIB, 12 * KIB), new OwedRange(40 * KIB, 4 * KIB)),
                owed.ranges(0));
        assertEquals(16 * KIB, owed.bytes(0));
    }

    @Test
    void aWriteAcrossARegionBoundaryOwesBlocksInBothRegions() {
        OwedBlocks owed = new OwedBlocks(REGION, VOLUME);
        owed.oweRange(REGION - 4 * KIB, 8 * KIB);
        assertEquals(List.of(new OwedRange(REGION - 4 * KIB, 4 * KIB)), owed.ranges(0));
        assertEquals(List.of(new OwedRange(REGION, 4 * KIB)), owed.ranges(1));
        assertEquals(2, owed.count());
    }

    @Test
    void aRegionOwedWholeStaysWholeAndWholeReplacesBlocks() {
        OwedBlocks owed = new OwedBlocks(REGION, VOLUME);
        owed.oweWhole(2, 2);
        owed.oweRange(2 * REGION, 4 * KIB);
        assertTrue(owed.isWhole(2));
        assertEquals(List.of(new OwedRange(2 * REGION, REGION)), owed.ranges(2));

        owed.oweRange(3 * REGION, 4 * KIB);
        assertFalse(owed.isWhole(3));
        BitSet peerMarked = new BitSet();
        peerMarked.set(3);
        owed.oweWhole(peerMarked);
        assertTrue(owed.isWhole(3));
        assertEquals(2 * REGION, owed.bytes());
    }

    @Test
    void aRegionWithEveryBlockOwedBecomesWhole() {
        OwedBlocks owed = new OwedBlocks(REGION, VOLUME);
        for (long pos = 0; pos < REGION; pos += 64 * KIB) {
            owed.oweRange(pos, 64 * KIB);
        }
        assertTrue(owed.isWhole(0));
        assertEquals(0, owed.partialCount());
        assertEquals(REGION, owed.bytes());
    }

    @Test
    void clearingARegionAfterItsCopyForgetsItsBlocks() {
        OwedBlocks owed = new OwedBlocks(REGION, VOLUME);
        owed.oweRange(4 * KIB, 4 * KIB);
        owed.oweRange(REGION, 4 * KIB);
        owed.clear(0);
        assertFalse(owed.isOwed(0));
        assertEquals(List.of(), owed.ranges(0));
        assertEquals(1, owed.next(0));
        owed.oweRange(0, 4 * KIB); // owed again later: only the new block
        assertEquals(List.of(new OwedRange(0, 4 * KIB)), owed.ranges(0));
        owed.clearAll();
        assertEquals(0, owed.count());
        assertEquals(0, owed.bytes());
    }

    @Test
    void theLastRegionIsClippedToTheVolumesEnd() {
        long volume = REGION + 6 * KIB; // the last region is 6 KiB: its second block is half a block
        OwedBlocks owed = new OwedBlocks(REGION, volume);
        owed.oweRange(REGION + 4 * KIB, 2 * KIB);
        assertEquals(List.of(new OwedRange(REGION + 4 * KIB, 2 * KIB)), owed.ranges(1));
        assertEquals(2 * KIB, owed.bytes(1));
        owed.oweRange(REGION, 4 * KIB); // now every block of the short region: whole
        assertTrue(owed.isWhole(1));
        assertEquals(6 * KIB, owed.bytes(1));
    }

    @Test
    void regionsNoLargerThanABlockAreAlwaysOwedWhole() {
        OwedBlocks owed = new OwedBlocks(4 * KIB, 64 * KIB);
        owed.oweRange(8 * KIB + 10, 10);
        assertTrue(owed.isWhole(2));
        assertEquals(List.of(new OwedRange(8 * KIB, 4 * KIB)), owed.ranges(2));
    }

    @Test
    void narrowingAppliesOnlyToRegionsOwedWholeAndSnapshotsLeaveOutExcludedRegions() {
        OwedBlocks owed = new OwedBlocks(REGION, VOLUME);
        BitSet blocks = new BitSet();
        blocks.set(5);
        assertFalse(owed.narrow(0, blocks), "not owed: the marks on disk win");
        owed.oweWhole(0, 1);
        assertTrue(owed.narrow(0, blocks));
        assertEquals(List.of(new OwedRange(20 * KIB, 4 * KIB)), owed.ranges(0));
        BitSet tooFar = new BitSet();
        tooFar.set(256);
        assertFalse(owed.narrow(1, tooFar), "a block past the region");
        assertTrue(owed.isWhole(1));

        owed.oweRange(2 * REGION, 4 * KIB);
        BitSet exclude = new BitSet();
        exclude.set(2);
        Map<Integer, BitSet> snapshot = owed.partialSnapshot(exclude);
        assertEquals(Map.of(0, blocks), snapshot);
    }
}
