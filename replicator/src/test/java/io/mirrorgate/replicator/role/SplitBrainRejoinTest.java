package io.mirrorgate.replicator.role;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.testing.ReplicatorNode;
import io.mirrorgate.replicator.testing.ReplicatorNodes;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.time.Duration;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both replicas write while apart (A alone after B died, then B promoted alone after A died):
 * the rejoin detects the split brain and copies nothing; resolving it copies exactly the union
 * of both sides' marked regions, not the whole volume, and both images end identical.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EndToEnd
class SplitBrainRejoinTest {
    private static final long SIZE = 64L << 20;
    private static final long REGION = 1L << 20;
    private static final Duration MAX = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private ReplicatorNodes nodes;

    @AfterEach
    void stop() throws InterruptedException {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void resolvingASplitBrainCopiesTheUnionOfBothBitmaps() throws Exception {
        nodes = ReplicatorNodes.start(dir, SIZE, "region_size = \"1MiB\"", "activity_regions = 2",
                "resync_rate = \"unlimited\"");
        ReplicatorNode a = nodes.a();
        ReplicatorNode b = nodes.b();
        a.awaitInSync(MAX);

        b.kill();
        a.await("A alone", MAX, s -> s.path("state").asText().equals("disconnected"));
        try (NbdClient nbd = a.nbd()) {
            for (long r : new long[] {3, 4, 10}) {
                nbd.write(r * REGION + 8192, TestData.randomBytes(r, 4096), true);
            }
        }
        a.kill();
        SortedSet<Long> markedOnA = FailoverTest.marked(a.metadata());
        assertTrue(markedOnA.containsAll(List.of(3L, 4L, 10L)), markedOnA.toString());

        b.start();
        b.role("primary", true);
        byte[] winner = TestData.randomBytes(77, 4096);
        try (NbdClient nbd = b.nbd()) {
            nbd.write(4 * REGION + 8192, winner, true);
            nbd.write(20 * REGION, TestData.randomBytes(20, 4096), true);
            nbd.write(21 * REGION, TestData.randomBytes(21, 4096), true);
        }
        SortedSet<Long> owedOnB = new TreeSet<>(List.of(4L, 20L, 21L));

        a.setStartRole("secondary");
        a.start();
        JsonNode split = b.await("split brain", MAX, s -> s.path("state").asText().equals("split-brain"));
        assertTrue(split.path("message").asText().contains("both replicas wrote while apart"), split.toString());
        var status = b.cli("status", ReplicatorNode.RESOURCE);
        assertEquals(78, status.exitCode(), "status of a split brain exits 78: " + status.out());

        var resolved = b.cli("resolve", ReplicatorNode.RESOURCE, "--discard-remote");
        assertEquals(ExitCodes.OK, resolved.exitCode(), resolved.err() + resolved.out());
        JsonNode synced = b.awaitInSync(MAX);
        // A's marked regions whole; B's 4 KiB writes where A marked nothing (its write into 4 is
        // inside A's marked region 4)
        long bOnly = owedOnB.stream().filter(r -> !markedOnA.contains(r)).count();
        assertEquals(markedOnA.size() * REGION + bOnly * 4096, synced.path("resync").path("bytesDone").asLong(),
                "the resolution copies B's owed blocks in " + owedOnB + " and A's marked " + markedOnA + ": "
                        + synced);

        try (NbdClient nbd = b.nbd()) {
            assertArrayEquals(winner, nbd.read(4 * REGION + 8192, 4096), "B's write wins where both wrote");
        }
        b.stop();
        a.stop();
        assertEquals(TestData.sha256(a.image()), TestData.sha256(b.image()), "A's writes while apart are gone");
        byte[] image = Files.readAllBytes(a.image());
        assertArrayEquals(new byte[4096], Arrays.copyOfRange(image, (int) (3 * REGION + 8192),
                (int) (3 * REGION + 8192 + 4096)), "region 3, written only by the discarded side, holds B's (zero) data");
    }
}
