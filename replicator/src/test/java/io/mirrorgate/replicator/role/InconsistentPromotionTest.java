package io.mirrorgate.replicator.role;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.replicator.testing.ReplicatorNode;
import io.mirrorgate.replicator.testing.ReplicatorNodes;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secondary whose resync was cut off by the primary's death holds a mix of old and new blocks:
 * promoting it is refused (also with {@code --force}, which the orchestrator's automatic takeover
 * uses), also after a restart of the secondary; {@code --accept-inconsistent} promotes it and clears
 * the mark (real {@code replicator run} processes).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EndToEnd
class InconsistentPromotionTest {
    private static final long SIZE = 64L << 20;
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
    void aSecondaryCutOffMidResyncIsNotPromotedWithoutForce() throws Exception {
        nodes = ReplicatorNodes.start(dir, SIZE, "region_size = \"1MiB\"");
        ReplicatorNode a = nodes.a();
        ReplicatorNode b = nodes.b();
        a.awaitInSync(MAX);
        assertTrue(b.status().path("inconsistent").isNull(), "in sync: consistent");

        b.kill();
        try (NbdClient nbd = a.nbd()) {
            for (int i = 0; i < 16; i++) {
                nbd.write((long) i << 20, TestData.randomBytes(40 + i, 1 << 20), false);
            }
            nbd.flush();
        }
        // A comes back slow (1 MiB/s): the 16 MiB it owes B take 16 s to copy
        a.stop();
        Files.writeString(a.config(), "resync_rate = \"1MiB\"\n", StandardOpenOption.APPEND);
        a.start();
        b.start();
        a.await("resync to B under way", MAX, s -> s.path("resync").path("bytesDone").asLong() > 0);
        a.kill();

        JsonNode cut = b.await("B notices the primary is gone", MAX,
                s -> !s.path("peer").path("connected").asBoolean(true));
        assertTrue(cut.path("inconsistent").asText("").startsWith("resync from node alpha"), cut.toString());
        MirrorPair.CliResult refused = b.cli("role", ReplicatorNode.RESOURCE, "primary");
        assertNotEquals(ExitCodes.OK, refused.exitCode(), refused.out());
        assertTrue(refused.err().contains("is inconsistent"), refused.err());
        assertEquals("secondary", b.status().path("role").asText());

        b.kill();
        b.start();
        assertTrue(b.status().path("inconsistent").isTextual(), "kept across a restart: " + b.status());
        assertNotEquals(ExitCodes.OK, b.cli("role", ReplicatorNode.RESOURCE, "primary").exitCode());

        MirrorPair.CliResult forcedOnly = b.cli("role", ReplicatorNode.RESOURCE, "primary", "--force");
        assertNotEquals(ExitCodes.OK, forcedOnly.exitCode(), "--force fences a primary, it does not accept"
                + " an inconsistent replica (the orchestrator's automatic takeover uses it)");
        assertTrue(forcedOnly.err().contains("--accept-inconsistent"), forcedOnly.err());
        MirrorPair.CliResult accepted = b.cli("role", ReplicatorNode.RESOURCE, "primary", "--accept-inconsistent");
        assertEquals(ExitCodes.OK, accepted.exitCode(), accepted.err());
        assertTrue(accepted.out().contains("is now primary"), accepted.out());
        JsonNode promoted = b.status();
        assertEquals("primary", promoted.path("role").asText());
        assertTrue(promoted.path("inconsistent").isNull(), promoted.toString());
    }
}
