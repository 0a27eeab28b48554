package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.bitmap.MetadataFile;
import io.mirrorgate.replicator.bitmap.MetadataSnapshot;
import io.mirrorgate.replicator.bitmap.OwedBlocksFile;
import io.mirrorgate.replicator.testing.ProcessMirror;
import io.mirrorgate.replicator.testing.RecordingWriter;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bitmap invariant with the fine (4 KiB) owed map: a degraded primary ({@code replicator
 * run}, a child JVM) restarted cleanly (its fine map on disk), then SIGKILLed in the middle of
 * more scattered writes. The map on disk is then stale (it lacks the writes after the restart):
 * it must be ignored, every region marked on disk copied whole, and the images end identical;
 * the copy stays bounded by what is marked on disk (the owed regions and the activity set).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EndToEnd
class FineOwedCrashTest {
    private static final long SIZE = 128L << 20;
    private static final long REGION = 4L << 20;
    private static final int BLOCK = 4096;

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();

    @TempDir
    Path dir;

    private ProcessMirror mirror;

    @AfterEach
    void stop() throws InterruptedException {
        if (mirror != null) {
            mirror.close();
        }
    }

    @Test
    void aPrimaryKilledMidWriteAfterACleanRestartResyncsEveryMarkedRegionToIdentical() throws Exception {
        mirror = ProcessMirror.start(processes, dir, SIZE, "region_size = \"4MiB\"");
        mirror.awaitInSync(Duration.ofSeconds(60));
        mirror.stopStandby();
        mirror.awaitDisconnected(Duration.ofSeconds(30));

        // Scattered 4 KiB writes in the first half, then a clean restart: the fine map is on disk.
        Random random = new Random(5);
        try (NbdClient nbd = mirror.nbd()) {
            for (int i = 0; i < 200; i++) {
                long block = random.nextInt((int) (SIZE / 2 / BLOCK));
                nbd.write(block * BLOCK, TestData.randomBytes(500 + i, BLOCK), false);
            }
            nbd.flush();
        }
        mirror.stopPrimary();
        Path metadata = Path.of(mirror.primaryImage() + ".mgmeta");
        assertTrue(Files.size(OwedBlocksFile.pathFor(metadata)) > 0, "the clean stop wrote the fine map");
        mirror.startPrimary();

        // More writes into the same regions (blocks the map on disk does not have), killed mid-way.
        RecordingWriter writer;
        try (NbdClient nbd = mirror.nbd()) {
            writer = RecordingWriter.start(nbd, RecordingWriter.anywhere(SIZE / 2), 13, 200_000,
                    Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (writer.writes() < 300 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            mirror.killPrimary();
            assertTrue(writer.join(Duration.ofSeconds(30)), "the writer ends when the primary dies");
        }
        assertNotNull(writer.failure(), "the writer was stopped by the kill, in the middle of writing");
        assertTrue(writer.writes() >= 300, "writes acknowledged before the kill: " + writer.writes());
        assertEquals(List.of(), writer.mismatches(mirror.primaryImage()), "acknowledged, not on the primary");

        MetadataSnapshot onDisk = MetadataFile.inspect(metadata);
        assertFalse(onDisk.cleanShutdown());
        SortedSet<Long> written = writer.regionsWritten(REGION);
        for (long r : written) {
            assertTrue(onDisk.isMarked(r), "region " + r + " written before the kill is marked on disk");
        }
        assertTrue(onDisk.markedCount() <= SIZE / 2 / REGION + 1, "only the written half is marked: "
                + onDisk.markedCount());

        mirror.restartStandby();
        mirror.startPrimary();
        JsonNode done = mirror.awaitInSync(Duration.ofSeconds(60));
        JsonNode resync = done.path("resync");
        long copied = resync.path("bytesDone").asLong();
        assertEquals(onDisk.markedCount() * REGION, copied,
                "after a crash every region marked on disk is copied whole, no more: " + done);
        assertEquals(List.of(), writer.mismatches(mirror.standbyImage()), "acknowledged, not on the standby");
        mirror.stopPrimary();
        assertEquals(TestData.sha256(mirror.primaryImage()), TestData.sha256(mirror.standbyImage()));
    }
}
