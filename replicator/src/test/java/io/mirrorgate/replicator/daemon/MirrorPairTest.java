package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The replicator with real servers: NBD in, a ggate-server standby out, image checksums compared. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MirrorPairTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private MirrorPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    /** Writes {@code count} random blocks of 4..64 KiB at random aligned offsets, then flushes. */
    static void writeRandomBlocks(NbdClient nbd, long size, int count, long seed) throws Exception {
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            int length = BLOCK * (1 + random.nextInt(16));
            long offset = (long) random.nextInt((int) ((size - length) / BLOCK)) * BLOCK;
            nbd.write(offset, TestData.randomBytes(seed * 1000 + i, length), random.nextInt(8) == 0);
        }
        nbd.flush();
    }

    @Test
    void initialSyncThenSteadyWritesLeaveBothImagesIdentical() throws Exception {
        pair = MirrorPair.builder(dir).start();
        pair.awaitInSync(Duration.ofSeconds(60));
        try (NbdClient nbd = pair.nbd()) {
            assertEquals(pair.size(), nbd.size());
            writeRandomBlocks(nbd, pair.size(), 300, 1);
            byte[] back = nbd.read(8192, 65536);
            assertEquals(TestData.sha256(pair.primaryImage(), 8192, 65536), TestData.sha256(back));
        }
        ResourceStatus s = pair.awaitInSync(Duration.ofSeconds(30));
        assertEquals(0, s.counters().peerWriteFailures());
        assertEquals(0, s.counters().degradedWrites());
        assertTrue(s.counters().writes() >= 300, "writes counted: " + s.counters());
        assertEquals(pair.primarySha256(), pair.standbySha256());
    }

    @Test
    void standbyAwayWritesGoOnDegradedAndResyncStartsByItselfWhenItReturns() throws Exception {
        pair = MirrorPair.builder(dir).start();
        pair.awaitInSync(Duration.ofSeconds(60));
        pair.stopStandby();
        pair.await("peer gone", Duration.ofSeconds(30), s -> !s.peerConnected());
        try (NbdClient nbd = pair.nbd()) {
            writeRandomBlocks(nbd, pair.size(), 200, 2);
        }
        ResourceStatus away = pair.status();
        assertTrue(away.owedBytes() > 0, "owed while the standby is away: " + away);
        assertTrue(away.counters().degradedWrites() > 0, "degraded writes counted: " + away.counters());
        assertTrue(away.generations().wroteWhileApart(), "local generation raised: " + away.generations());
        String standbyWhileAway = pair.standbySha256();
        assertTrue(!standbyWhileAway.equals(pair.primarySha256()));

        pair.startStandby();
        ResourceStatus done = pair.awaitInSync(Duration.ofSeconds(60));
        assertEquals(100.0, done.resync().percent());
        assertEquals(done.resync().bytesTotal(), done.resync().bytesDone());
        assertTrue(done.resync().bytesDone() > 0 && done.resync().bytesDone() < pair.size(),
                "only the owed regions are copied: " + done.resync());
        assertEquals(pair.primarySha256(), pair.standbySha256());
    }

    @Test
    void aStandbyDiskReplacedByABlankOneIsFilledFromThePrimaryNeverCopiedOverIt() throws Exception {
        pair = MirrorPair.builder(dir).start();
        pair.awaitInSync(Duration.ofSeconds(60));
        try (NbdClient nbd = pair.nbd()) {
            writeRandomBlocks(nbd, pair.size(), 100, 3);
        }
        pair.awaitInSync(Duration.ofSeconds(30));
        String primaryBefore = pair.primarySha256();

        pair.stopStandby();
        pair.await("peer gone", Duration.ofSeconds(30), s -> !s.peerConnected());
        // A new, blank disk with no export state: it reports generation 0.
        java.nio.file.Files.delete(pair.standbyImage());
        TestData.sparseFile(pair.standbyImage(), pair.size());
        try (var state = java.nio.file.Files.list(dir.resolve("standby-state"))) {
            for (Path file : (Iterable<Path>) state::iterator) {
                java.nio.file.Files.delete(file);
            }
        }
        pair.startStandby();

        ResourceStatus synced = pair.awaitInSync(Duration.ofSeconds(60));
        assertTrue(synced.lastDecision().contains("PEER_BLANK") || synced.message().contains("no generation"),
                "decision: " + synced.lastDecision() + " / " + synced.message());
        assertEquals(primaryBefore, pair.primarySha256(), "the primary was not overwritten");
        assertEquals(primaryBefore, pair.standbySha256());
    }
}
