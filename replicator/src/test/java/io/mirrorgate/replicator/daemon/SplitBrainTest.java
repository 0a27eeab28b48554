package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.client.remote.RemoteBlockDevice;
import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both sides write while apart: the primary degraded, the standby through another client that
 * raises the export's generation (as a promoted standby would). The replicator refuses to copy
 * anything until {@code replicator resolve}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SplitBrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private MirrorPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    /** While the primary cannot see it, the standby's export is written and its generation raised. */
    private void standbyWritesWhileApart(long generation) throws Exception {
        try (GgateDaemon side = GgateDaemon.start(pair.standbySettings(0))) {
            RemoteDeviceOptions options = RemoteDeviceOptions.builder("127.0.0.1", side.ggateAddress().getPort(),
                    pair.standbyImage().toString(), Files.readAllBytes(pair.keyFile())).nodeId("beta").build();
            RemoteBlockDevice device = RemoteBlockDevice.connect(options);
            try {
                device.write(1 << 20, Unpooled.wrappedBuffer(TestData.randomBytes(99, 65536)), true)
                        .get(10, TimeUnit.SECONDS);
                device.setGeneration(generation).get(10, TimeUnit.SECONDS);
            } finally {
                device.close();
            }
        }
    }

    @Test
    void splitBrainIsRefusedWithBothFiguresUntilResolvedThenTheStandbyIsOverwritten() throws Exception {
        pair = MirrorPair.builder(dir).start();
        pair.awaitInSync(Duration.ofSeconds(60));
        pair.stopStandby();
        pair.await("peer gone", Duration.ofSeconds(30), s -> !s.peerConnected());
        try (NbdClient nbd = pair.nbd()) {
            MirrorPairTest.writeRandomBlocks(nbd, pair.size(), 50, 5);
        }
        standbyWritesWhileApart(77);
        String standbyBefore = pair.standbySha256();

        pair.startStandby();
        ResourceStatus split = pair.await("split brain", Duration.ofSeconds(30),
                s -> s.state() == ResourceStatus.State.SPLIT_BRAIN);
        assertEquals(77, split.peerGeneration());
        try (NbdClient nbd = pair.nbd()) {
            MirrorPairTest.writeRandomBlocks(nbd, pair.size(), 20, 6);
        }

        MirrorPair.CliResult status = pair.cli("status");
        assertEquals(ExitCodes.SPLIT_BRAIN, status.exitCode(), status.out() + status.err());
        assertTrue(status.out().contains("state:split-brain"), status.out());
        assertTrue(status.out().contains("split brain: both replicas wrote while apart"), status.out());
        assertTrue(status.out().contains("local generation=" + split.generations().local()), status.out());
        assertTrue(status.out().contains("peer generation=77"), status.out());
        MirrorPair.CliResult json = pair.cli("status", "--json");
        assertEquals(ExitCodes.SPLIT_BRAIN, json.exitCode());
        JsonNode r0 = JSON.readTree(json.out()).get(0);
        assertEquals("split-brain", r0.path("state").asText());
        assertEquals(77, r0.path("peer").path("generation").asLong());
        MirrorPair.CliResult watch = pair.cli("status", "--watch", "--interval", "0.1");
        assertEquals(ExitCodes.SPLIT_BRAIN, watch.exitCode());
        assertTrue(watch.err().contains("peer generation=77"), watch.err());

        assertEquals(standbyBefore, pair.standbySha256(), "nothing is written to the standby in split brain");
        assertNotEquals(pair.primarySha256(), pair.standbySha256());

        MirrorPair.CliResult resolve = pair.cli("resolve", "r0", "--discard-remote");
        assertEquals(ExitCodes.OK, resolve.exitCode(), resolve.err());
        assertTrue(resolve.out().startsWith("r0: discard remote"), resolve.out());
        ResourceStatus done = pair.awaitInSync(Duration.ofSeconds(60));
        assertEquals(done.generations().local(), done.generations().syncedLocal());
        assertEquals(pair.primarySha256(), pair.standbySha256());

        MirrorPair.CliResult again = pair.cli("resolve", "r0", "--discard-local");
        assertEquals(ExitCodes.DATA_ERROR, again.exitCode(), again.err());
        assertTrue(again.err().contains("nothing to resolve"), again.err());
    }

    @Test
    void discardLocalCopiesTheStandbyOverThePrimary() throws Exception {
        pair = MirrorPair.builder(dir).start();
        pair.awaitInSync(Duration.ofSeconds(60));
        pair.stopStandby();
        pair.await("peer gone", Duration.ofSeconds(30), s -> !s.peerConnected());
        try (NbdClient nbd = pair.nbd()) {
            MirrorPairTest.writeRandomBlocks(nbd, pair.size(), 30, 7);
        }
        standbyWritesWhileApart(55);
        String standby = pair.standbySha256();
        pair.startStandby();
        pair.await("split brain", Duration.ofSeconds(30), s -> s.state() == ResourceStatus.State.SPLIT_BRAIN);

        MirrorPair.CliResult resolve = pair.cli("resolve", "r0", "--discard-local");
        assertEquals(ExitCodes.OK, resolve.exitCode(), resolve.err());
        pair.awaitInSync(Duration.ofSeconds(60));
        assertEquals(standby, pair.standbySha256(), "the winner is not written");
        assertEquals(standby, pair.primarySha256());
    }
}
