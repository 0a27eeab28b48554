package io.mirrorgate.replicator.role;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.testing.RecordingWriter;
import io.mirrorgate.replicator.testing.ReplicatorNode;
import io.mirrorgate.replicator.testing.ReplicatorNodes;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover between two replicators: the primary SIGKILLed while several writers write through
 * it, the secondary promoted with {@code --force}, writing goes on, and the old primary returns
 * as secondary and gets exactly the new primary's writes plus its own marked regions. Also: a
 * superseded primary started again is fenced, and a replica of another resource is refused.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EndToEnd
class FailoverTest {
    private static final long SIZE = 128L << 20;
    private static final long REGION = 1L << 20;
    private static final Duration MAX = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private ReplicatorNodes nodes;
    private final List<RecordingWriter> writers = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (RecordingWriter w : writers) {
            w.close();
        }
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesAFailoverAndTheRejoinCopiesOnlyWhatDiffers() throws Exception {
        nodes = ReplicatorNodes.start(dir, SIZE, "region_size = \"1MiB\"", "activity_regions = 8",
                "resync_rate = \"unlimited\"");
        ReplicatorNode a = nodes.a();
        ReplicatorNode b = nodes.b();
        a.awaitInSync(MAX);

        // Four writers through A, each in its own 8 regions.
        List<NbdClient> clients = new ArrayList<>();
        List<RecordingWriter> beforeKill = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            NbdClient nbd = a.nbd();
            clients.add(nbd);
            RecordingWriter w = RecordingWriter.start(nbd, RecordingWriter.inRegions(
                    LongStream.range(k * 8L, k * 8L + 8).boxed().toList(), REGION), 100 + k, 100_000, MAX);
            beforeKill.add(w);
            writers.add(w);
        }
        awaitWrites(beforeKill, 150);
        a.kill();
        for (RecordingWriter w : beforeKill) {
            assertTrue(w.join(Duration.ofSeconds(30)), "a writer ends when the primary dies");
            assertNotNull(w.failure(), "the kill interrupted the writer");
        }
        for (NbdClient c : clients) {
            closeQuietly(c);
        }
        SortedSet<Long> markedOnA = marked(a.metadata());

        // Every write A acknowledged is on B already (fullsync).
        for (RecordingWriter w : beforeKill) {
            assertEquals(List.of(), w.mismatches(b.image()), "acknowledged by A, missing on B");
        }

        String promoted = b.role("primary", true);
        assertTrue(promoted.contains("is now primary"), promoted);
        JsonNode bStatus = b.await("B primary, degraded", MAX, s -> s.path("role").asText().equals("primary"));
        assertTrue(bStatus.path("epoch").asLong() > a.metadata().path("epoch").asLong(), bStatus.toString());

        RecordingWriter afterTakeover;
        try (NbdClient nbd = b.nbd()) {
            afterTakeover = RecordingWriter.start(nbd, RecordingWriter.inRegions(
                    LongStream.range(64, 80).boxed().toList(), REGION), 200, 300, MAX);
            writers.add(afterTakeover);
            assertTrue(afterTakeover.join(MAX));
        }
        assertEquals(null, afterTakeover.failure(), "writes through the new primary");
        SortedSet<Long> owedOnB = new TreeSet<>(afterTakeover.regionsWritten(REGION));

        a.setStartRole("secondary");
        a.start();
        JsonNode synced = b.awaitInSync(MAX);
        // A's marked regions are copied whole (regions are what the peers exchange); B's writes
        // since the takeover block by block (4 KiB), where they are not in A's marked regions.
        long bBlocks = afterTakeover.blocksWritten().stream()
                .filter(block -> !markedOnA.contains(block * RecordingWriter.BLOCK / REGION)).count();
        long copied = synced.path("resync").path("bytesDone").asLong();
        assertEquals(markedOnA.size() * REGION + bBlocks * RecordingWriter.BLOCK, copied,
                "the rejoin copies B's writes since the takeover in " + owedOnB + " plus A's marked regions "
                        + markedOnA + ": " + synced);
        assertTrue(copied < SIZE / 2, "not the whole volume: " + copied);

        for (RecordingWriter w : beforeKill) {
            assertEquals(List.of(), w.mismatches(a.image()), "acknowledged by A, not on A after the rejoin");
            assertEquals(List.of(), w.mismatches(b.image()), "acknowledged by A, not on B");
        }
        assertEquals(List.of(), afterTakeover.mismatches(a.image()), "acknowledged by B, not on A");
        assertEquals(List.of(), afterTakeover.mismatches(b.image()), "acknowledged by B, not on B");
        b.stop();
        a.stop();
        assertEquals(TestData.sha256(a.image()), TestData.sha256(b.image()), "both replicas identical");
    }

    @Test
    void aSupersededPrimaryStartedAgainRefusesWritesAndNeverWritesToTheNewPrimary() throws Exception {
        nodes = ReplicatorNodes.start(dir, SIZE, "region_size = \"1MiB\"", "resync_rate = \"unlimited\"");
        ReplicatorNode a = nodes.a();
        ReplicatorNode b = nodes.b();
        a.awaitInSync(MAX);
        a.kill();
        b.role("primary", true);
        try (NbdClient nbd = b.nbd()) {
            nbd.write(5 * REGION, TestData.randomBytes(5, 65536), true);
        }
        String bImage = TestData.sha256(b.image());

        a.start(); // its configuration still says primary
        JsonNode fenced = a.await("A fenced", MAX, s -> s.path("fenced").asBoolean());
        assertEquals("fenced", fenced.path("state").asText(), fenced.toString());
        assertTrue(fenced.path("fencedBy").asText().contains("epoch"), fenced.toString());
        try (NbdClient nbd = a.nbd()) {
            Exception refused = assertThrows(Exception.class,
                    () -> nbd.write(9 * REGION, TestData.randomBytes(9, 4096), true));
            assertTrue(refused.getMessage().contains("EPERM"), refused.getMessage());
        }
        JsonNode bNow = b.await("B says whom it fenced", MAX, s -> s.path("fencedPeer").isTextual());
        assertTrue(bNow.path("fencedPeer").asText().contains("node alpha"), bNow.toString());
        assertTrue(!bNow.path("peer").path("connected").asBoolean(), "B does not take A as its secondary: " + bNow);
        assertEquals(bImage, TestData.sha256(b.image()), "the fenced primary never wrote to the new primary");
        var text = a.cli("status", ReplicatorNode.RESOURCE);
        assertTrue(text.out().contains("FENCED"), text.out());

        // Told to, it becomes secondary and is resynced from B.
        a.role("secondary", false);
        b.awaitInSync(MAX);
        b.stop();
        a.stop();
        assertEquals(TestData.sha256(a.image()), TestData.sha256(b.image()));
    }

    @Test
    void withAfterFencedBecomeSecondaryTheOldPrimaryRejoinsByItself() throws Exception {
        nodes = ReplicatorNodes.start(dir, SIZE, "region_size = \"1MiB\"", "resync_rate = \"unlimited\"",
                "after_fenced = \"become-secondary\"");
        ReplicatorNode a = nodes.a();
        ReplicatorNode b = nodes.b();
        a.awaitInSync(MAX);
        a.kill();
        b.role("primary", true);
        byte[] data = TestData.randomBytes(31, 65536);
        try (NbdClient nbd = b.nbd()) {
            nbd.write(31 * REGION, data, true);
        }
        a.start(); // configured primary: fenced at once, then secondary by itself
        JsonNode synced = b.awaitInSync(MAX);
        assertEquals(0, synced.path("peer").path("markedRegions").asLong(), "A was idle when killed: " + synced);
        assertEquals(data.length, synced.path("resync").path("bytesDone").asLong(),
                "only the blocks B wrote: " + synced);
        assertEquals("secondary", a.status().path("role").asText());
        assertTrue(a.logText().contains("fenced primary became secondary"), a.logText());
        b.stop();
        a.stop();
        assertEquals(TestData.sha256(a.image()), TestData.sha256(b.image()));
    }

    @Test
    void aReplicaOfAnotherDiskIsRefusedOnBothSides() throws Exception {
        nodes = ReplicatorNodes.start(dir, SIZE, "region_size = \"1MiB\"", "resync_rate = \"unlimited\"");
        ReplicatorNode a = nodes.a();
        ReplicatorNode b = nodes.b();
        a.awaitInSync(MAX);
        a.stop();
        b.stop();
        var recreated = a.cli("create", ReplicatorNode.RESOURCE, "--force");
        assertEquals(ExitCodes.OK, recreated.exitCode(), recreated.err());
        String bImage = TestData.sha256(b.image());
        b.start();
        a.start();
        JsonNode refused = a.await("the UUID mismatch reported", MAX,
                s -> s.path("peer").path("lastError").asText("").contains("UUID mismatch"));
        assertTrue(refused.path("peer").path("lastError").asText().contains("refusing to resync into a different disk"),
                refused.toString());
        assertTrue(b.logText().contains("UUID mismatch"), "B says so too:\n" + b.logText());
        assertEquals(bImage, TestData.sha256(b.image()), "nothing was written to B");
    }

    private static void awaitWrites(List<RecordingWriter> writers, long each) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && writers.stream().anyMatch(w -> w.writes() < each)) {
            Thread.sleep(10);
        }
        for (RecordingWriter w : writers) {
            assertTrue(w.writes() >= each, "acknowledged writes before the kill: " + w.writes());
        }
    }

    private static void closeQuietly(NbdClient c) {
        try {
            c.close();
        } catch (IOException e) {
            // the server died under it: nothing to close cleanly
            assertNotNull(e.getMessage());
        }
    }

    /** The marked regions of {@code dump-metadata --json} ({@code "marked":"0-3,7"}). */
    static SortedSet<Long> marked(JsonNode metadata) {
        SortedSet<Long> out = new TreeSet<>();
        String text = metadata.path("marked").asText("");
        if (text.isEmpty()) {
            return out;
        }
        for (String range : text.split(",")) {
            String[] ends = range.split("-");
            long first = Long.parseLong(ends[0].trim());
            long last = ends.length > 1 ? Long.parseLong(ends[1].trim()) : first;
            for (long r = first; r <= last; r++) {
                out.add(r);
            }
        }
        return out;
    }
}
