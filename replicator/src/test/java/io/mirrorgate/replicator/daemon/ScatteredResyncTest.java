package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.bitmap.OwedBlocksFile;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: scattered 4 KiB writes while the standby is away are resynced block by block, not
 * region by region (4 MiB regions here, as by default): bytes copied at most 1.1x the bytes
 * changed, both images identical, also across a clean restart of the primary while degraded.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScatteredResyncTest {
    private static final long SIZE = 64L << 20;
    private static final int BLOCK = 4096;
    /** 1% of the volume's 4 KiB blocks, in every one of its 16 regions. */
    private static final int WRITES = (int) (SIZE / BLOCK / 100);

    @TempDir
    Path dir;

    private MirrorPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    /** Writes {@link #WRITES} random 4 KiB blocks at distinct random places; returns the bytes. */
    private long writeScattered(long seed) throws Exception {
        Random random = new Random(seed);
        SortedSet<Long> blocks = new TreeSet<>();
        while (blocks.size() < WRITES) {
            blocks.add((long) random.nextInt((int) (SIZE / BLOCK)));
        }
        try (NbdClient nbd = pair.nbd()) {
            int i = 0;
            for (long block : blocks) {
                nbd.write(block * BLOCK, TestData.randomBytes(seed * 100_000 + i++, BLOCK), false);
            }
            nbd.flush();
        }
        return (long) blocks.size() * BLOCK;
    }

    private MirrorPair degradedPair() throws Exception {
        pair = MirrorPair.builder(dir).size(SIZE).regionSize("4MiB").start();
        pair.awaitInSync(Duration.ofSeconds(60));
        pair.stopStandby();
        pair.await("peer gone", Duration.ofSeconds(30), s -> !s.peerConnected());
        return pair;
    }

    /** Restarts the standby and checks the resync copied only the changed blocks. */
    private void resyncAndCheck(long changed) throws Exception {
        assertNotEquals(pair.primarySha256(), pair.standbySha256());
        pair.startStandby();
        ResourceStatus done = pair.awaitInSync(Duration.ofSeconds(60));
        long copied = done.resync().bytesDone();
        assertTrue(copied >= changed && copied <= changed * 11 / 10, "copied " + copied
                + " bytes for " + changed + " changed (expected: at most 1.1x): " + done.resync());
        assertEquals(copied, done.resync().bytesTotal(), done.resync().toString());
        assertEquals(pair.primarySha256(), pair.standbySha256());
    }

    @Test
    void scatteredWritesWhileTheStandbyIsAwayAreResyncedBlockByBlock() throws Exception {
        degradedPair();
        long changed = writeScattered(1);
        ResourceStatus away = pair.status();
        assertEquals(SIZE / (4 << 20), away.owedRegions(), "every region owed: " + away);
        assertEquals(changed, away.owedBytes(), "owed bytes count blocks, not regions: " + away);
        resyncAndCheck(changed);
    }

    @Test
    void aCleanRestartOfThePrimaryWhileDegradedStillCopiesOnlyTheChangedBlocks() throws Exception {
        degradedPair();
        long changed = writeScattered(2);
        pair.stopPrimary();
        assertTrue(Files.size(OwedBlocksFile.pathFor(pair.metadataFile())) > 0, "fine map written at close");
        pair.startPrimary();
        assertEquals(changed, pair.status().owedBytes(), "after the restart: " + pair.status());
        long more = writeScattered(3); // some land on blocks already owed: at most `more` new bytes
        assertTrue(pair.status().owedBytes() <= changed + more);
        resyncAndCheck(pair.status().owedBytes());
        assertTrue(pair.status().resync().bytesDone() >= changed);
    }

    @Test
    void denselyScatteredBlocksFromTheDiskAreResyncedExactly() throws Exception {
        degradedPair();
        // every 4th 4 KiB block of the volume: 4,096 ranges, 256 in each region, all copied at
        // once (16 MiB owed, the window's bytes), each region's as one scattered read (one task
        // of the local device's pool, which queues at most 1,024) and one scattered write
        long changed = 0;
        try (NbdClient nbd = pair.nbd()) {
            for (long block = 0; block < SIZE / BLOCK; block += 4) {
                nbd.write(block * BLOCK, TestData.randomBytes(block, BLOCK), false);
                changed += BLOCK;
            }
            nbd.flush();
        }
        assertEquals(changed, pair.status().owedBytes());
        // out of the page cache (GNU dd: nocache with count=0 drops the whole file's clean
        // pages), so that the copy reads from the disk through the device's pool
        String image = pair.primaryImage().toString();
        assertEquals(0, new ProcessBuilder("sync", image).inheritIO().start().waitFor());
        assertEquals(0, new ProcessBuilder("dd", "if=" + image, "iflag=nocache", "count=0",
                "status=none").inheritIO().start().waitFor());
        resyncAndCheck(changed);
    }
}
