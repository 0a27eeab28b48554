package io.mirrorgate.replicator.resync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.bitmap.OwedRange;
import io.mirrorgate.server.device.Extent;
import io.mirrorgate.server.device.Extent.Allocation;
import io.mirrorgate.server.device.Scatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** How a region copy cuts its owed ranges into pieces, and gathers small ones for one write. */
class CopyRangesTest {
    private static final int K = 4096;

    private static CopyRanges ranges(List<Extent> extents, long... offsetLengthPairs) {
        List<OwedRange> owed = new ArrayList<>();
        for (int i = 0; i < offsetLengthPairs.length; i += 2) {
            owed.add(new OwedRange(offsetLengthPairs[i], offsetLengthPairs[i + 1]));
        }
        CopyRanges r = CopyRanges.within(owed, 0, 1 << 22);
        r.map(extents);
        return r;
    }

    private static List<Extent> allData() {
        return List.of(new Extent(0, 1 << 22, Allocation.DATA));
    }

    @Test
    void smallPiecesGoTogetherUpToTheChunk() {
        CopyRanges r = ranges(allData(), 0, K, 3 * K, K, 8 * K, 2 * K, 20 * K, K);
        Scatter s = r.takeScatter(4 * K, Scatter.MAX_RANGES);
        assertEquals(3, s.count(), "the 4th would pass 4 blocks: " + s);
        assertEquals(4 * K, s.bytes());
        assertEquals(8 * K, s.offset(2));
        assertEquals(20 * K, r.position());
        Scatter last = r.takeScatter(4 * K, Scatter.MAX_RANGES);
        assertEquals(1, last.count());
        assertTrue(r.done());
    }

    @Test
    void atMostMaxRangesAndNeverAcrossAZeroExtent() {
        List<Extent> extents = List.of(new Extent(0, 16 * K, Allocation.DATA),
                new Extent(16 * K, 4 * K, Allocation.HOLE), new Extent(20 * K, (1 << 22) - 20 * K,
                        Allocation.DATA));
        CopyRanges r = ranges(extents, 0, K, 2 * K, K, 4 * K, K, 6 * K, K, 16 * K, K, 24 * K, K);
        assertEquals(2, r.takeScatter(1 << 20, 2).count(), "maxRanges");
        Scatter two = r.takeScatter(1 << 20, Scatter.MAX_RANGES);
        assertEquals(2, two.count(), "stops before the hole: " + two);
        assertTrue(r.nextReadsZero(), "the hole goes as write-zeroes, on its own");
        assertEquals(K, r.take(1 << 20));
        assertEquals(1, r.takeScatter(1 << 20, Scatter.MAX_RANGES).count());
        assertTrue(r.done());
    }

    @Test
    void aLargePieceIsTakenAloneAndCutAtTheChunk() {
        CopyRanges r = ranges(allData(), 0, 3 * K, 10 * K, K);
        Scatter s = r.takeScatter(2 * K, Scatter.MAX_RANGES);
        assertEquals(1, s.count());
        assertEquals(2 * K, s.bytes(), "cut at the chunk, as take does");
        Scatter rest = r.takeScatter(2 * K, Scatter.MAX_RANGES);
        assertEquals(2, rest.count(), "the range's last block and the next range: " + rest);
        assertTrue(r.done());
    }

    @Test
    void gatheringCoversEveryOwedByteOnceInOrder() {
        Random random = new Random(5);
        for (int round = 0; round < 200; round++) {
            List<OwedRange> owed = new ArrayList<>();
            long at = random.nextInt(8) * (long) K;
            while (at < (1 << 22) - 64 * K) {
                long length = (1 + random.nextInt(random.nextBoolean() ? 2 : 40)) * (long) K;
                owed.add(new OwedRange(at, length));
                at += length + (1 + random.nextInt(30)) * (long) K;
            }
            CopyRanges r = CopyRanges.within(owed, 0, 1 << 22);
            r.map(allData());
            int chunk = K << random.nextInt(6);
            int maxRanges = 1 + random.nextInt(20);
            List<long[]> taken = new ArrayList<>();
            while (!r.done()) {
                Scatter s = r.takeScatter(chunk, maxRanges);
                assertTrue(s.count() <= maxRanges && s.bytes() <= chunk, s.toString());
                for (int i = 0; i < s.count(); i++) {
                    taken.add(new long[] {s.offset(i), s.length(i)});
                }
            }
            // merged back, the pieces are exactly the owed ranges
            List<OwedRange> merged = new ArrayList<>();
            for (long[] p : taken) {
                OwedRange last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
                if (last != null && last.end() == p[0]) {
                    merged.set(merged.size() - 1, new OwedRange(last.offset(), last.length() + p[1]));
                } else {
                    assertTrue(last == null || last.end() < p[0], "in order, disjoint");
                    merged.add(new OwedRange(p[0], p[1]));
                }
            }
            assertEquals(owed, merged, "round " + round);
        }
    }
}
