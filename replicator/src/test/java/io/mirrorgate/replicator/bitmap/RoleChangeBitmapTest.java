package io.mirrorgate.replicator.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bitmap operations of role changes and rejoins: the peer's marked regions made owed in one
 * sync, the activity set settled away after both replicas were flushed, and a secondary's marks
 * cleared when its primary says the replicas are identical; each durable on disk.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoleChangeBitmapTest {
    static final long REGION = PersistentDirtyRegionsTest.REGION;
    static final long VOLUME = PersistentDirtyRegionsTest.VOLUME;

    @TempDir
    Path dir;

    @Test
    void markOwedMarksThePeersRegionsDurablyAndOwesThem() {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        BitSet peer = new BitSet();
        peer.set(3);
        peer.set(17, 20);
        try (PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, 64)) {
            long syncs = regions.metadataSyncs();
            regions.markOwed(peer);
            assertEquals(4, regions.owedCount());
            assertTrue(regions.isOwed(18));
            assertEquals(peer, regions.markedRegions());
            assertEquals(peer, MetadataFile.inspect(meta).marked(), "on disk before markOwed returns");
            assertTrue(regions.metadataSyncs() - syncs <= 2, "one group commit, not one per region");
        }
        assertEquals(peer, MetadataFile.inspect(meta).marked(), "owed regions stay marked at close");
    }

    @Test
    void settleUnmarksTheActivitySetButKeepsWhatIsOwed() {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        try (PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, 64)) {
            for (long r : new long[] {1, 2, 5}) {
                regions.beginWrite(r * REGION, 4096).join();
                regions.endWrite(r * REGION, 4096, true);
            }
            regions.beginWrite(9 * REGION, 4096).join();
            regions.endWrite(9 * REGION, 4096, false);
            regions.bothDurable();
            assertEquals(4, MetadataFile.inspect(meta).markedCount(), "the activity set stays marked");
            regions.settle();
            BitSet expected = new BitSet();
            expected.set(9);
            assertEquals(expected, MetadataFile.inspect(meta).marked(), "only the owed region is left");
            assertEquals(1, regions.owedCount());
        }
    }

    @Test
    void settleKeepsARegionWhoseWriteIsNotKnownDurableOnBothSides() {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        try (PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, 64)) {
            regions.beginWrite(4 * REGION, 4096).join();
            regions.endWrite(4 * REGION, 4096, true);
            regions.settle(); // no bothDurable: the write may not be on both disks yet
            assertTrue(MetadataFile.inspect(meta).isMarked(4));
        }
    }

    @Test
    void clearAllUnmarksEverythingOnASecondary() {
        Path meta = dir.resolve("r0.mgmeta");
        MetadataFile.create(meta, "r0", "beta", VOLUME, REGION); // a new resource: every region marked
        try (PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, 64)) {
            assertEquals(regions.regionCount(), regions.owedCount());
            regions.clearAll();
            assertEquals(0, regions.owedCount());
            assertEquals(0, MetadataFile.inspect(meta).markedCount(), "durable when clearAll returns");
        }
        try (PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, 64)) {
            assertFalse(regions.isOwed(0), "nothing owed after a reopen");
        }
    }

    @Test
    void theEpochIsKeptInTheHeaderAcrossReopens() {
        Path meta = dir.resolve("r0.mgmeta");
        MetadataFile.create(meta, "r0", "alpha", VOLUME, REGION);
        try (MetadataFile file = MetadataFile.open(meta, VOLUME)) {
            assertEquals(0, file.epoch(), "a new resource has epoch 0");
            file.storeEpoch(7);
            file.storeGenerations(new io.mirrorgate.replicator.generation.Generations(3, 3, 3));
            file.storeEpoch(8);
        }
        assertEquals(8, MetadataFile.inspect(meta).epoch());
        assertEquals(3, MetadataFile.inspect(meta).generations().local());
    }
}
