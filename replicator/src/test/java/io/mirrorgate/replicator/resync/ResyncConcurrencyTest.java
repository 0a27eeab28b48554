package io.mirrorgate.replicator.resync;

import static io.mirrorgate.replicator.testing.Fixtures.writeRandom;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.resync.ResyncProgress.State;
import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.testing.Fixtures;
import io.mirrorgate.replicator.testing.RuntimeHarness;
import io.mirrorgate.server.device.Scatter;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The resync keeps several regions, and several chunks of each, in flight, safely. */
class ResyncConcurrencyTest {
    private static final long SIZE = 16L << 20;
    private static final int REGION = 64 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private RuntimeHarness harness(ResyncOptions resync) {
        RuntimeHarness h = new RuntimeHarness(SIZE, REGION, new Generations(3, 3, 3), 3,
                false, ResourceOptions.defaults("r0").withResync(resync));
        toClose.add(h);
        h.runtime.start();
        return h;
    }

    private static ResyncOptions options(int chunk, int regionsInFlight, int chunksInFlight) {
        return new ResyncOptions(0, chunk, Duration.ofSeconds(10), regionsInFlight,
                chunksInFlight);
    }

    private static void fillRegions(MirrorDevice mirror, long first, int count, long seed)
            throws Exception {
        for (int i = 0; i < count; i++) {
            writeRandom(mirror, (first + i) * REGION, REGION, seed + i);
        }
    }

    private static void awaitQuiet() throws InterruptedException {
        // Gives a wrong engine the time to issue more than it may, or to mark too early.
        Thread.sleep(300);
    }

    @Test
    @Timeout(60)
    void severalRegionsAreWrittenAtOnceUpToTheWindow() throws Exception {
        // One chunk per region: each held write is a different region's.
        RuntimeHarness h = harness(options(REGION, 4, 4));
        fillRegions(h.runtime.device(), 10, 8, 1);
        h.peerDevice.holdWrites();

        h.link.connect();
        Fixtures.await("4 regions' writes held", WAIT, () -> h.peerDevice.heldWrites() >= 4);
        awaitQuiet();
        assertEquals(4, h.peerDevice.heldWrites(), "4 regions in flight, not more");
        assertEquals(8, h.dirty.owedCount(), "none is synced while its write is held");
        assertEquals(0, h.progress().regionsCopied());
        h.peerDevice.releaseHeldInReverse();
        h.awaitSyncs(1, WAIT);

        assertEquals(0, h.dirty.owedCount());
        assertEquals(0, h.dirty.regionsSyncedMoreThanOnce());
        assertEquals(8, h.progress().regionsCopied());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(60)
    void chunksOfOneRegionArePipelined() throws Exception {
        RuntimeHarness h = harness(options(4096, 1, 4));
        fillRegions(h.runtime.device(), 3, 3, 2);
        long peerBytesBefore = h.remote.bytesWritten();
        h.peerDevice.holdWrites();

        h.link.connect();
        Fixtures.await("4 chunk writes held", WAIT, () -> h.peerDevice.heldWrites() >= 4);
        awaitQuiet();
        assertEquals(4, h.peerDevice.heldWrites(), "4 chunks of the one region in flight");
        assertEquals(3, h.dirty.owedCount());
        h.peerDevice.releaseHeldInReverse();
        h.awaitSyncs(1, WAIT);

        assertEquals(0, h.dirty.owedCount());
        assertEquals(3L * REGION, h.remote.bytesWritten() - peerBytesBefore);
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(60)
    void noRegionIsMarkedSyncedBeforeAFlushAfterItsWrites() throws Exception {
        RuntimeHarness h = harness(options(8192, 4, 4));
        fillRegions(h.runtime.device(), 0, 6, 3);
        h.peerDevice.holdFlushes();

        h.link.connect();
        // 4 regions of 8 chunks are written completely; their flushes are held.
        Fixtures.await("4 regions written", WAIT, () -> h.peerDevice.dataWrites() >= 4 * 8);
        awaitQuiet();
        assertEquals(4 * 8, h.peerDevice.dataWrites(), "the window is full of flushing regions");
        assertEquals(6, h.dirty.owedCount(), "written but not flushed: still owed");
        for (long r = 0; r < 6; r++) {
            assertEquals(0, h.dirty.syncedCount(r), "region " + r);
        }
        assertEquals(0, h.progress().bytesDone());
        h.peerDevice.releaseFlushes();
        h.awaitSyncs(1, WAIT);

        assertEquals(0, h.dirty.owedCount());
        assertEquals(0, h.dirty.regionsSyncedMoreThanOnce());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(60)
    void failureOfOneRegionInFlightPausesAndResumeCopiesExactlyTheRest() throws Exception {
        int owed = 16;
        RuntimeHarness h = harness(options(8192, 4, 4));
        h.peerDevice.delayWrites(300);
        fillRegions(h.runtime.device(), 0, owed, 4);
        long bad = 2L * REGION + 5 * 8192;
        h.localDevice.failReads(bad, 512);
        long peerBytesBefore = h.remote.bytesWritten();

        h.link.connect();
        Fixtures.await("paused", WAIT, () -> h.progress().state() == State.PAUSED);
        assertTrue(h.progress().lastError().contains("injected read error"),
                h.progress().toString());
        assertTrue(h.dirty.isOwed(2), "the failed region stays owed");
        long owedAtPause = h.dirty.owedCount();
        assertEquals(owed - h.progress().regionsCopied(), owedAtPause);
        List<Long> unsynced = new ArrayList<>();
        for (long r = 0; r < owed; r++) {
            if (h.dirty.isOwed(r)) {
                unsynced.add(r);
            } else {
                assertEquals(1, h.dirty.syncedCount(r), "region " + r);
            }
        }
        long bytesAtPause = h.remote.bytesWritten();

        h.localDevice.failReads(-1, 0);
        h.link.disconnect();
        h.link.connect();
        h.awaitSyncs(1, WAIT);

        assertEquals(owedAtPause * REGION, h.remote.bytesWritten() - bytesAtPause,
                "the resume copies exactly the regions not marked synced");
        for (long r : unsynced) {
            assertEquals(1, h.dirty.syncedCount(r), "region " + r);
        }
        assertEquals(0, h.dirty.regionsSyncedMoreThanOnce());
        assertTrue(h.remote.bytesWritten() - peerBytesBefore >= (long) owed * REGION);
        assertEquals(State.DONE, h.progress().state());
        assertEquals((long) owed * REGION, h.progress().bytesDone());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(90)
    void writesAcrossRegionBoundariesUnderConcurrentCopiesLeaveReplicasIdentical()
            throws Exception {
        int owed = 24;
        RuntimeHarness h = harness(options(4096, 4, 4));
        h.peerDevice.delayWrites(300);
        MirrorDevice mirror = h.runtime.device();
        fillRegions(mirror, 0, owed, 5);

        h.link.connect();
        AtomicBoolean resyncing = new AtomicBoolean(true);
        List<Future<Integer>> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long seed = 100 + t;
            writers.add(threads.submit(() -> {
                Random random = new Random(seed);
                int written = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (resyncing.get() && written < 20_000 && System.nanoTime() < deadline) {
                    // Straddles the boundary between region b - 1 and region b.
                    long boundary = (long) REGION * (1 + random.nextInt(owed - 1));
                    int before = 512 * (1 + random.nextInt(16));
                    int after = 512 * (1 + random.nextInt(16));
                    writeRandom(mirror, boundary - before, before + after, random.nextLong());
                    written++;
                }
                return written;
            }));
        }
        h.awaitSyncs(1, WAIT);
        resyncing.set(false);
        int written = 0;
        for (Future<Integer> w : writers) {
            written += w.get(60, TimeUnit.SECONDS);
        }
        mirror.flush().get(10, TimeUnit.SECONDS);

        assertTrue(written > 50, "writes during the resync: " + written);
        assertEquals(0, h.dirty.owedCount());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    /** Random writes of 512 B .. 8 KiB (512-aligned) into regions {@code 0..regions-1}. */
    private static long scatter(MirrorDevice mirror, int regions, int count, long seed) throws Exception {
        Random random = new Random(seed);
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            int length = 512 * (1 + random.nextInt(16));
            long offset = 512L * random.nextInt((int) ((long) regions * REGION / 512) - 16);
            writeRandom(mirror, offset, length, random.nextLong());
            bytes += length;
        }
        return bytes;
    }

    @Test
    @Timeout(60)
    void onlyTheOwedBlocksOfARegionAreCopied() throws Exception {
        RuntimeHarness h = harness(options(4096, 4, 4));
        h.dirty.trackBlocks();
        scatter(h.runtime.device(), 24, 60, 6);
        long owedBytes = h.dirty.owedBytes();
        assertTrue(owedBytes < 24L * REGION / 2, "owed " + owedBytes + " bytes in 4 KiB blocks");
        long peerBytesBefore = h.remote.bytesWritten();

        h.link.connect();
        h.awaitSyncs(1, WAIT);
        assertEquals(owedBytes, h.remote.bytesWritten() - peerBytesBefore, "exactly the owed blocks");
        assertEquals(owedBytes, h.progress().bytesDone());
        assertEquals(owedBytes, h.progress().bytesTotal());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(90)
    void writesRacingCopiesOfOwedBlocksLeaveReplicasIdentical() throws Exception {
        int owed = 24;
        RuntimeHarness h = harness(options(4096, 4, 4));
        h.dirty.trackBlocks();
        h.peerDevice.delayWrites(200);
        MirrorDevice mirror = h.runtime.device();
        scatter(mirror, owed, 200, 7);

        h.link.connect();
        AtomicBoolean resyncing = new AtomicBoolean(true);
        List<Future<Integer>> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long seed = 200 + t;
            writers.add(threads.submit(() -> {
                Random random = new Random(seed);
                int written = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (resyncing.get() && written < 20_000 && System.nanoTime() < deadline) {
                    int length = 512 * (1 + random.nextInt(16));
                    long offset = 512L * random.nextInt(owed * REGION / 512 - 16);
                    writeRandom(mirror, offset, length, random.nextLong());
                    written++;
                }
                return written;
            }));
        }
        // Writes into a region wait for its copy of owed blocks (and the copy for them).
        h.awaitSyncs(1, WAIT);
        resyncing.set(false);
        int written = 0;
        for (Future<Integer> w : writers) {
            written += w.get(60, TimeUnit.SECONDS);
        }
        mirror.flush().get(10, TimeUnit.SECONDS);

        assertTrue(written > 50, "writes during the resync: " + written);
        assertEquals(0, h.dirty.owedCount());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(60)
    void copiesOfAFewOwedBlocksGoManyAtATimeAndShareTheTargetsFlushes() throws Exception {
        RuntimeHarness h = harness(options(4096, 4, 4));
        h.dirty.trackBlocks();
        for (int r = 0; r < 24; r++) {
            writeRandom(h.runtime.device(), (long) r * REGION + 8192, 4096, 300 + r);
        }
        h.peerDevice.holdFlushes();

        h.link.connect();
        // 24 regions of one block each: all in flight together (24 x 4 KiB is far below the 4
        // whole regions the window holds), every block written while the flushes are held.
        Fixtures.await("24 regions written", WAIT, () -> h.peerDevice.dataWrites() >= 24);
        assertEquals(24, h.dirty.owedCount(), "written but not flushed: still owed");
        h.peerDevice.releaseFlushes();
        h.awaitSyncs(1, WAIT);

        assertEquals(0, h.dirty.owedCount());
        assertEquals(24 * 4096L, h.progress().bytesDone());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(60)
    void owedBlocksGoToAPeerThatTakesScatteredWritesAFewRequestsPerRegion() throws Exception {
        RuntimeHarness h = harness(options(REGION, 4, 4));
        h.dirty.trackBlocks();
        h.peerDevice.acceptScattered(Scatter.MAX_RANGES);
        // 8 blocks of 4 KiB in each of 24 regions, never adjacent (each its own range), and
        // one block of zeroes among them (sent as data with the others)
        for (int r = 0; r < 24; r++) {
            for (int b = 0; b < 8; b++) {
                writeRandom(h.runtime.device(), (long) r * REGION + b * 8192L, 4096, 400 + r * 8 + b);
            }
        }
        h.runtime.device().write(5L * REGION, Unpooled.wrappedBuffer(new byte[4096]),
                false).get(10, TimeUnit.SECONDS);
        long owedBytes = h.dirty.owedBytes();
        assertEquals(24 * 8 * 4096L, owedBytes);
        long peerBytesBefore = h.remote.bytesWritten();

        h.link.connect();
        h.awaitSyncs(1, WAIT);

        assertEquals(24, h.peerDevice.scatteredWrites(), "one per region (its 8 blocks fit one chunk)");
        assertEquals(24 * 8, h.peerDevice.dataWrites(), "each range written");
        assertEquals(owedBytes, h.remote.bytesWritten() - peerBytesBefore, "exactly the owed blocks");
        assertEquals(owedBytes, h.progress().bytesDone());
        assertEquals(0, h.dirty.owedCount());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(90)
    void writesRacingGatheredCopiesLeaveReplicasIdentical() throws Exception {
        RuntimeHarness h = harness(options(16384, 4, 4));
        h.dirty.trackBlocks();
        h.peerDevice.acceptScattered(3);
        h.peerDevice.delayWrites(200);
        MirrorDevice mirror = h.runtime.device();
        scatter(mirror, 24, 300, 8);

        h.link.connect();
        List<Future<Integer>> writers = new ArrayList<>();
        AtomicBoolean resyncing = new AtomicBoolean(true);
        for (int t = 0; t < 4; t++) {
            long seed = 500 + t;
            writers.add(threads.submit(() -> {
                Random random = new Random(seed);
                int written = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (resyncing.get() && written < 20_000 && System.nanoTime() < deadline) {
                    long offset = 512L * random.nextInt(24 * REGION / 512 - 16);
                    writeRandom(mirror, offset, 512 * (1 + random.nextInt(16)), random.nextLong());
                    written++;
                }
                return written;
            }));
        }
        h.awaitSyncs(1, WAIT);
        resyncing.set(false);
        for (Future<Integer> w : writers) {
            w.get(60, TimeUnit.SECONDS);
        }
        mirror.flush().get(10, TimeUnit.SECONDS);

        assertTrue(h.peerDevice.scatteredWrites() > 0, "gathered copies were sent");
        assertEquals(0, h.dirty.owedCount());
        assertEquals(h.local.sha256(), h.remote.sha256());
    }
}
