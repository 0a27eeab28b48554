package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.resync.ResyncOptions;
import io.mirrorgate.replicator.testing.Fixtures;
import io.mirrorgate.replicator.testing.ProcessMirror;
import io.mirrorgate.replicator.testing.RecordingWriter;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.TestData;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resyncs with real processes (a ggate-server child JVM as the standby, {@code replicator run}
 * as the primary), the standby SIGKILLed to make regions owed or in the middle of the resync:
 * the resync resumes instead of starting over, tolerates an application writing into the
 * regions it copies, and copies only the owed regions; the images end identical.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EndToEnd
class StandbyCrashResyncTest {
    private static final long MIB = 1L << 20;
    private static final long REGION = MIB;
    /** What {@link #makeOwed} writes into each MiB of an owed region. */
    private static final long DATA_PER_MIB = 4096;

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

    /**
     * The pair in sync after the initial copy (at full speed), then the primary restarted with
     * {@code resync_rate = rate} (a clean stop and start) and connected again.
     */
    private void startInSyncWithRate(long size, String rate) throws Exception {
        mirror = ProcessMirror.start(processes, dir, size, "region_size = \"1MiB\"");
        mirror.awaitInSync(Duration.ofSeconds(60));
        mirror.stopPrimary();
        mirror.writeConfig(List.of("region_size = \"1MiB\"", "resync_rate = \"" + rate + "\""));
        mirror.startPrimary();
        mirror.awaitInSync(Duration.ofSeconds(30));
    }

    /** {@code count} distinct regions of a volume of {@code size}, in random order. */
    private static List<Long> randomRegions(long size, long regionSize, int count, long seed) {
        List<Long> all = new ArrayList<>();
        for (long r = 0; r < size / regionSize; r++) {
            all.add(r);
        }
        Collections.shuffle(all, new Random(seed));
        return List.copyOf(all.subList(0, count));
    }

    /**
     * With the standby away: writes 4 KiB of random data into each MiB of each region; the regions
     * become owed. The resync sends those 4 KiB blocks as data and the holes around them as
     * write-zeroes (the source's allocation), so the standby writes {@link #DATA_PER_MIB} per MiB.
     */
    private void makeOwed(List<Long> regions, long regionSize, long seed) throws Exception {
        makeOwed(regions, regionSize, seed, (int) DATA_PER_MIB);
    }

    /** As above with {@code perMib} bytes of data per MiB (4096 at a random place, or all of it). */
    private void makeOwed(List<Long> regions, long regionSize, long seed, int perMib) throws Exception {
        mirror.awaitDisconnected(Duration.ofSeconds(30));
        Random random = new Random(seed);
        try (NbdClient nbd = mirror.nbd()) {
            for (long r : regions) {
                for (long chunk = r * regionSize; chunk < (r + 1) * regionSize; chunk += MIB) {
                    long offset = chunk + random.nextInt((int) ((MIB - perMib) / 4096 + 1)) * 4096L;
                    nbd.write(offset, TestData.randomBytes(seed * 100_000 + offset / 4096, perMib), false);
                }
            }
            nbd.flush();
        }
        JsonNode away = mirror.status();
        assertEquals(regions.size(), away.path("owedRegions").asLong(), away.toString());
    }

    @Test
    void aStandbyKilledMidResyncAndRestartedGetsTheRestNotEverythingAgain() throws Exception {
        startInSyncWithRate(256 * MIB, "48MiB");
        List<Long> owed = randomRegions(256 * MIB, REGION, 160, 21);
        long owedBytes = owed.size() * REGION;
        mirror.killStandby();
        // whole regions of data, so that the resync (3 s at 48 MiB/s) is still running at the kill
        makeOwed(owed, REGION, 21, (int) MIB);

        long writtenBefore = mirror.standbyBytesWritten();
        mirror.restartStandby();
        JsonNode partial = mirror.await("a quarter of the resync done", Duration.ofSeconds(30),
                s -> s.path("resync").path("state").asText().equals("running")
                        && s.path("resync").path("bytesDone").asLong() >= owedBytes / 4);
        assertEquals(owedBytes, partial.path("resync").path("bytesTotal").asLong(), partial.toString());
        mirror.killStandby();

        JsonNode paused = mirror.awaitDisconnected(Duration.ofSeconds(30));
        JsonNode p = paused.path("resync");
        assertEquals("paused", p.path("state").asText(), paused.toString());
        assertTrue(p.path("bytesDone").asLong() > 0 && p.path("bytesDone").asLong() < owedBytes,
                "partial progress while the standby is down: " + paused);
        assertEquals(owedBytes - p.path("bytesDone").asLong(), paused.path("owedBytes").asLong(),
                "what was copied is no longer owed: " + paused);

        mirror.restartStandby();
        JsonNode done = mirror.awaitInSync(Duration.ofSeconds(60));
        JsonNode d = done.path("resync");
        assertEquals(owedBytes, d.path("bytesTotal").asLong(), "one resync, resumed: " + done);
        assertEquals(owedBytes, d.path("bytesDone").asLong(), done.toString());
        assertEquals(owed.size(), d.path("regionsCopied").asLong(), done.toString());

        // What the two standby processes wrote: the owed regions once (each region is one 1 MiB
        // chunk of data), plus the regions in flight at the kill twice at most (the client re-sends
        // its unanswered writes to the new standby, and the resync copies again every region not
        // yet marked synced), plus replies and logs. Far below copying everything again.
        long inFlight = ResyncOptions.DEFAULT_REGIONS_IN_FLIGHT * REGION;
        long standbyWrote = mirror.standbyBytesWritten() - writtenBefore;
        assertTrue(standbyWrote >= owedBytes && standbyWrote <= owedBytes + 2 * inFlight + 256 * 1024,
                "the standby wrote " + standbyWrote + " bytes for " + owedBytes + " owed bytes");

        mirror.stopPrimary();
        assertEquals(TestData.sha256(mirror.primaryImage()), TestData.sha256(mirror.standbyImage()));
    }

    @Test
    void applicationWritesIntoRegionsBeingResyncedEndIdenticalOnBothSides() throws Exception {
        startInSyncWithRate(128 * MIB, "16MiB");
        List<Long> owed = randomRegions(128 * MIB, REGION, 64, 31);
        mirror.killStandby();
        // whole regions of data: the resync then takes 4 s at 16 MiB/s (holes would be free)
        makeOwed(owed, REGION, 31, (int) MIB);

        RecordingWriter writer;
        long writesAtStart;
        long writesAtEnd;
        try (NbdClient nbd = mirror.nbd()) {
            mirror.restartStandby();
            mirror.await("resync running", Duration.ofSeconds(30),
                    s -> s.path("resync").path("state").asText().equals("running"));
            writer = RecordingWriter.start(nbd, RecordingWriter.inRegions(owed, REGION), 32, 50_000,
                    Duration.ofSeconds(40));
            writesAtStart = writer.writes();
            JsonNode done = mirror.await("resync done", Duration.ofSeconds(40),
                    s -> s.path("resync").path("state").asText().equals("done"));
            writesAtEnd = writer.writes();
            writer.stop();
            assertTrue(writer.join(Duration.ofSeconds(30)), "writer stopped");
            assertNull(writer.failure(), "no write failed during the resync");
            assertEquals(64 * REGION, done.path("resync").path("bytesTotal").asLong(), done.toString());
            nbd.flush();
        }
        assertTrue(writesAtEnd - writesAtStart >= 100,
                "writes into owed regions while the resync ran: " + (writesAtEnd - writesAtStart));
        JsonNode inSync = mirror.awaitInSync(Duration.ofSeconds(30));
        assertEquals(0, inSync.path("counters").path("peerWriteFailures").asLong(), inSync.toString());

        assertEquals(List.of(), writer.mismatches(mirror.primaryImage()), "primary");
        assertEquals(List.of(), writer.mismatches(mirror.standbyImage()), "standby");
        mirror.stopPrimary();
        assertEquals(TestData.sha256(mirror.primaryImage()), TestData.sha256(mirror.standbyImage()));
    }

    @Test
    void anInitialFullSyncInterruptedByAStandbyKillResumesWhereItStopped() throws Exception {
        long size = 128 * MIB;
        try (OutputStream out = Files.newOutputStream(dir.resolve("primary.img"))) {
            for (long pos = 0; pos < size; pos += MIB) {
                out.write(TestData.randomBytes(51_000 + pos / MIB, (int) MIB));
            }
        }
        mirror = ProcessMirror.start(processes, dir, size, "region_size = \"1MiB\"", "resync_rate = \"32MiB\"");
        JsonNode partial = mirror.await("a quarter of the initial sync done", Duration.ofSeconds(30),
                s -> s.path("resync").path("state").asText().equals("running")
                        && s.path("resync").path("bytesDone").asLong() >= size / 4);
        assertEquals("INITIAL", partial.path("decision").asText(), partial.toString());
        mirror.killStandby();
        JsonNode paused = mirror.awaitDisconnected(Duration.ofSeconds(30));
        long copied = paused.path("resync").path("bytesDone").asLong();
        assertTrue(copied > 0 && copied < size, "partial progress: " + paused);
        assertEquals(size - copied, paused.path("owedBytes").asLong(), "what was copied is no longer owed: " + paused);

        mirror.restartStandby();
        JsonNode done = mirror.awaitInSync(Duration.ofSeconds(60));
        JsonNode d = done.path("resync");
        assertEquals(size, d.path("bytesTotal").asLong(), "one initial sync, resumed: " + done);
        assertEquals(size, d.path("bytesDone").asLong(), done.toString());
        // As above: the regions in flight at the kill may be written twice, nothing else.
        long inFlight = ResyncOptions.DEFAULT_REGIONS_IN_FLIGHT * REGION;
        long standbyWrote = mirror.standbyBytesWritten();
        assertTrue(standbyWrote >= size && standbyWrote <= size + 2 * inFlight + 256 * 1024,
                "the standby wrote " + standbyWrote + " bytes for a volume of " + size);
        mirror.stopPrimary();
        assertEquals(TestData.sha256(mirror.primaryImage()), TestData.sha256(mirror.standbyImage()));
    }

    @Test
    void resyncOfAOneGibVolumeWithOnePercentDirtyCopiesOnlyTheChangedBlocks() throws Exception {
        long size = 1024 * MIB;
        long region = 4 * MIB;
        mirror = ProcessMirror.start(processes, dir, size, "region_size = \"4MiB\"");
        mirror.awaitInSync(Duration.ofSeconds(90));
        List<Long> dirty = randomRegions(size, region, 3, 41);
        mirror.killStandby();
        makeOwed(dirty, region, 41);

        long writtenBefore = mirror.standbyBytesWritten();
        mirror.restartStandby();
        JsonNode done = mirror.awaitInSync(Duration.ofSeconds(60));
        // 4 KiB written into each MiB of the owed regions: those blocks are copied, not the regions
        long expected = dirty.size() * (region / MIB) * DATA_PER_MIB;
        JsonNode d = done.path("resync");
        assertEquals(expected, d.path("bytesDone").asLong(), done.toString());
        assertEquals(expected, d.path("bytesTotal").asLong(), done.toString());
        assertEquals(dirty.size(), d.path("regionsCopied").asLong(), done.toString());
        String metrics = mirror.metrics();
        assertTrue(metrics.contains("mirrorgate_resync_bytes_done{resource=\"r0\"} " + expected + "\n"), metrics);
        long standbyWrote = mirror.standbyBytesWritten() - writtenBefore;
        long data = dirty.size() * (region / MIB) * DATA_PER_MIB;
        assertTrue(standbyWrote >= data && standbyWrote <= expected + 256 * 1024,
                "the standby wrote " + standbyWrote + " bytes for " + dirty.size()
                        + " dirty regions of 4 MiB (of 256) in a 1 GiB volume");
        Fixtures.assertSameContent(mirror.primaryImage(), mirror.standbyImage());
    }
}
