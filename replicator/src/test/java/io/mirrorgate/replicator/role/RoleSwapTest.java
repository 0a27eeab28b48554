package io.mirrorgate.replicator.role;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.testing.ReplicatorNode;
import io.mirrorgate.replicator.testing.ReplicatorNodes;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both nodes run the replicator; the roles are swapped with {@code replicator role} on the
 * running daemons, three rounds, writing through whichever node is primary. Each rejoin copies
 * at most what was written since the last sync plus the activity set, and both images end
 * identical after every round.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EndToEnd
class RoleSwapTest {
    private static final long SIZE = 64L << 20;
    private static final long REGION = 1L << 20;
    private static final int ACTIVITY = 4;

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
    void rolesSwapThreeRoundsWithoutAFullCopyAndTheImagesStayIdentical() throws Exception {
        nodes = ReplicatorNodes.start(dir, SIZE, "region_size = \"1MiB\"", "activity_regions = " + ACTIVITY,
                "resync_rate = \"unlimited\"");
        ReplicatorNode primary = nodes.a();
        ReplicatorNode secondary = nodes.b();
        JsonNode first = primary.awaitInSync(Duration.ofSeconds(60));
        assertEquals(SIZE, first.path("resync").path("bytesDone").asLong(), "the first sync is a full copy: " + first);
        assertEquals(primary.status().path("uuid").asText(), secondary.status().path("uuid").asText(),
                "the blank secondary adopted the primary's resource UUID");

        Random random = new Random(42);
        for (int round = 0; round < 3; round++) {
            TreeSet<Long> written = new TreeSet<>();
            byte[][] blocks = new byte[16][];
            long[] offsets = new long[blocks.length];
            try (NbdClient nbd = primary.nbd()) {
                for (int i = 0; i < blocks.length; i++) {
                    long region = 2 + random.nextInt((int) (SIZE / REGION) - 2);
                    offsets[i] = region * REGION + random.nextInt((int) (REGION / 4096)) * 4096L;
                    blocks[i] = TestData.randomBytes(round * 100L + i, 4096);
                    nbd.write(offsets[i], blocks[i], false);
                    written.add(region);
                }
                nbd.flush();
            }
            long epochBefore = primary.status().path("epoch").asLong();

            String demoted = primary.role("secondary", false);
            assertTrue(demoted.contains("is now secondary"), demoted);
            String promoted = secondary.role("primary", false);
            assertTrue(promoted.contains("is now primary"), promoted);
            JsonNode synced = secondary.awaitInSync(Duration.ofSeconds(60));
            assertTrue(synced.path("epoch").asLong() > epochBefore, "promotion raises the epoch: " + synced);
            long copied = synced.path("resync").path("bytesDone").asLong();
            long bound = (written.size() + ACTIVITY) * REGION;
            assertTrue(copied <= bound, "round " + round + ": the rejoin copied " + copied + " bytes (expected: <= "
                    + bound + ", the regions written since the last sync plus the activity set): " + synced);

            try (NbdClient nbd = secondary.nbd()) {
                for (int i = 0; i < blocks.length; i++) {
                    assertArrayEquals(blocks[i], nbd.read(offsets[i], 4096),
                            "round " + round + ": block " + i + " read through the new primary");
                }
            }
            assertEquals(TestData.sha256(primary.image()), TestData.sha256(secondary.image()),
                    "round " + round + ": both images identical");
            JsonNode old = primary.await("the old primary, secondary, in sync", Duration.ofSeconds(30),
                    s -> s.path("state").asText().equals("connected"));
            assertEquals("secondary", old.path("role").asText());
            ReplicatorNode swap = primary;
            primary = secondary;
            secondary = swap;
        }
        nodes.a().stop();
        nodes.b().stop();
        assertEquals(TestData.sha256(nodes.a().image()), TestData.sha256(nodes.b().image()));
    }

    @Test
    void roleIsIdempotentAndPromotionIsRefusedWhileThePrimaryIsConnected() throws Exception {
        nodes = ReplicatorNodes.start(dir, SIZE, "region_size = \"1MiB\"", "resync_rate = \"unlimited\"");
        nodes.a().awaitInSync(Duration.ofSeconds(60));
        assertTrue(nodes.a().role("primary", false).contains("already primary"));
        assertTrue(nodes.b().role("secondary", false).contains("already secondary"));
        var refused = nodes.b().cli("role", ReplicatorNode.RESOURCE, "primary");
        assertEquals(65, refused.exitCode(), refused.err() + refused.out());
        assertTrue(refused.err().contains("node alpha is connected as primary"), refused.err());
        assertTrue(refused.err().contains("--force"), refused.err());
        assertEquals("secondary", nodes.b().status().path("role").asText());
        assertEquals("alpha", nodes.b().status().path("peer").path("node").asText());
    }
}
