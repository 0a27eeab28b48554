package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.testing.ProcessMirror;
import io.mirrorgate.replicator.testing.RecordingWriter;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The primary ({@code replicator run}, a child JVM) SIGKILLed in the middle of writing: what it
 * acknowledged is on the standby, and the restart (an unclean shutdown: the marked regions are
 * owed) resyncs both images to identical.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EndToEnd
class PrimaryCrashTest {
    private static final long SIZE = 128L << 20;
    private static final long REGION = 1L << 20;

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
    void everyAcknowledgedWriteSurvivesAPrimarySigkillAndTheRestartResyncsToIdentical() throws Exception {
        mirror = ProcessMirror.start(processes, dir, SIZE, "region_size = \"1MiB\"");
        mirror.awaitInSync(Duration.ofSeconds(60));

        RecordingWriter writer;
        try (NbdClient nbd = mirror.nbd()) {
            writer = RecordingWriter.start(nbd, RecordingWriter.anywhere(SIZE), 11, 200_000,
                    Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (writer.writes() < 500 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(writer.writes() >= 500, "writes acknowledged before the kill: " + writer.writes());
            mirror.killPrimary();
            assertTrue(writer.join(Duration.ofSeconds(30)), "the writer ends when the primary dies");
        }
        assertNotNull(writer.failure(), "the writer was stopped by the kill, in the middle of writing");
        long acknowledged = writer.writes();

        // The standby still runs: every write the primary acknowledged is in its image.
        List<String> missingOnStandby = writer.mismatches(mirror.standbyImage());
        assertEquals(List.of(), missingOnStandby, acknowledged + " acknowledged writes, "
                + writer.blocks() + " blocks; not on the standby");
        assertEquals(List.of(), writer.mismatches(mirror.primaryImage()), "not on the primary");

        String metadata = mirror.dumpMetadata();
        assertTrue(metadata.contains("clean shutdown: no"), metadata);

        mirror.startPrimary();
        JsonNode done = mirror.awaitInSync(Duration.ofSeconds(60));
        JsonNode resync = done.path("resync");
        assertTrue(resync.path("regionsCopied").asLong() > 0,
                "the regions marked at the crash are copied after the restart: " + done);
        assertEquals(resync.path("bytesTotal").asLong(), resync.path("bytesDone").asLong(), done.toString());
        assertEquals(resync.path("regionsCopied").asLong() * REGION, resync.path("bytesDone").asLong(),
                done.toString());

        mirror.stopPrimary();
        assertTrue(mirror.dumpMetadata().contains("clean shutdown: yes\n"));
        assertEquals(List.of(), writer.mismatches(mirror.standbyImage()), "after the resync");
        assertEquals(TestData.sha256(mirror.primaryImage()), TestData.sha256(mirror.standbyImage()));
    }

    @Test
    void aPrimaryKilledWhileDegradedKeepsEveryRegionItWroteMarkedAndResyncsThemAfterTheRestart() throws Exception {
        mirror = ProcessMirror.start(processes, dir, SIZE, "region_size = \"1MiB\"");
        mirror.awaitInSync(Duration.ofSeconds(60));
        mirror.killStandby();
        mirror.awaitDisconnected(Duration.ofSeconds(30));

        RecordingWriter writer;
        try (NbdClient nbd = mirror.nbd()) {
            writer = RecordingWriter.start(nbd, RecordingWriter.anywhere(SIZE / 2), 12, 200_000,
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

        // The invariant: every region an acknowledged write touched is marked on disk.
        String metadata = mirror.dumpMetadata();
        SortedSet<Long> marked = markedRegions(metadata);
        SortedSet<Long> written = writer.regionsWritten(REGION);
        assertTrue(marked.containsAll(written), "written " + written + " but marked only:\n" + metadata);
        assertTrue(marked.last() < SIZE / REGION / 2 + 1, "the regions never written since the sync"
                + " are not marked (the check above is not trivially true):\n" + metadata);

        mirror.restartStandby();
        mirror.startPrimary();
        JsonNode done = mirror.awaitInSync(Duration.ofSeconds(60));
        assertTrue(done.path("resync").path("regionsCopied").asLong() >= written.size(), done.toString());
        assertEquals(List.of(), writer.mismatches(mirror.standbyImage()), "on the standby after the resync");
        mirror.stopPrimary();
        assertEquals(TestData.sha256(mirror.primaryImage()), TestData.sha256(mirror.standbyImage()));
    }

    /** The regions of {@code dump-metadata}'s line {@code marked: N regions (SIZE): 0-23,25}. */
    private static SortedSet<Long> markedRegions(String dump) {
        SortedSet<Long> out = new TreeSet<>();
        for (String line : dump.split("\n")) {
            if (!line.startsWith("marked:")) {
                continue;
            }
            int colon = line.indexOf("): ");
            if (colon < 0) {
                return out;
            }
            for (String range : line.substring(colon + 3).trim().split(",")) {
                String[] ends = range.split("-");
                long first = Long.parseLong(ends[0]);
                long last = ends.length > 1 ? Long.parseLong(ends[1]) : first;
                for (long r = first; r <= last; r++) {
                    out.add(r);
                }
            }
            return out;
        }
        throw new AssertionError("no marked: line in\n" + dump);
    }
}
