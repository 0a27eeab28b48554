package io.mirrorgate.replicator.resync;

import static io.mirrorgate.replicator.testing.Fixtures.writeRandom;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.generation.SyncDirection;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.resync.ResyncProgress.State;
import io.mirrorgate.replicator.resource.ResourceOptions;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.replicator.testing.Fixtures;
import io.mirrorgate.replicator.testing.RuntimeHarness;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ResyncTest {
    private static final long SIZE = 16L << 20;
    private static final int REGION = 64 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final ExecutorService threads = Executors.newFixedThreadPool(5);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private RuntimeHarness harness(long size, int region, boolean connected, ResyncOptions resync) {
        RuntimeHarness h = new RuntimeHarness(size, region, new Generations(3, 3, 3), 3,
                connected, ResourceOptions.defaults("r0").withResync(resync));
        toClose.add(h);
        h.runtime.start();
        return h;
    }

    private static ResyncOptions rate(long bytesPerSecond, int chunk) {
        return new ResyncOptions(bytesPerSecond, chunk, Duration.ofSeconds(10));
    }

    /** Writes a full random region into each of {@code count} regions, from {@code first}. */
    private static void fillRegions(MirrorDevice mirror, long first, int count, long seed)
            throws Exception {
        for (int i = 0; i < count; i++) {
            writeRandom(mirror, (first + i) * REGION, REGION, seed + i);
        }
    }

    @Test
    @Timeout(60)
    void writesWhileThePeerIsDownAreResyncedAndOnlyThey() throws Exception {
        RuntimeHarness h = harness(SIZE, REGION, true, rate(0, REGION));
        h.awaitSyncs(1, WAIT);
        fillRegions(h.runtime.device(), 0, 8, 1);
        assertEquals(h.local.sha256(), h.remote.sha256());

        h.link.disconnect();
        fillRegions(h.runtime.device(), 20, 12, 100);
        writeRandom(h.runtime.device(), 3 * REGION + 4096, 8192, 7);
        assertNotEquals(h.local.sha256(), h.remote.sha256());
        assertEquals(13, h.dirty.owedCount());
        assertEquals(new Generations(4, 3, 3), h.store.generations());
        long peerBytesBefore = h.remote.bytesWritten();

        h.link.connect();
        h.awaitSyncs(2, WAIT);

        assertEquals(h.local.sha256(), h.remote.sha256());
        assertEquals(13L * REGION, h.remote.bytesWritten() - peerBytesBefore);
        assertEquals(new Generations(4, 4, 4), h.store.generations());
        assertEquals(4, h.link.generation(), "the peer records the local generation");
        ResourceStatus status = h.status();
        assertEquals(ResourceStatus.State.CONNECTED, status.state());
        assertEquals(0, status.owedBytes());
        assertEquals(State.DONE, status.resync().state());
        assertEquals(13L * REGION, status.resync().bytesDone());
        assertEquals(100.0, status.resync().percent());
    }

    @Test
    @Timeout(60)
    void peerFailingMidResyncResumesWithoutCopyingDoneRegionsAgain() throws Exception {
        int owed = 48;
        // 512 KiB/s with 64 KiB regions: 8 regions per second, from the start.
        RuntimeHarness h = harness(SIZE, REGION, false, rate(512 * 1024, REGION));
        fillRegions(h.runtime.device(), 100, owed, 5);
        assertEquals(owed, h.dirty.owedCount());
        long peerBytesBefore = h.remote.bytesWritten();

        h.link.connect();
        Fixtures.await("12 regions copied", WAIT, () -> h.progress().regionsCopied() >= 12);
        h.link.disconnect();
        Fixtures.await("paused", WAIT, () -> h.progress().state() == State.PAUSED);
        long copiedBeforeFailure = h.progress().regionsCopied();
        assertTrue(copiedBeforeFailure < owed, "stopped mid-way: " + copiedBeforeFailure);
        assertEquals(owed - copiedBeforeFailure, h.dirty.owedCount());

        h.link.connect();
        h.awaitSyncs(1, WAIT);

        assertEquals(h.local.sha256(), h.remote.sha256());
        assertEquals(0, h.dirty.regionsSyncedMoreThanOnce(), "no region copied twice");
        for (long r = 100; r < 100 + owed; r++) {
            assertEquals(1, h.dirty.syncedCount(r), "region " + r);
        }
        // At most the one region whose copy the failure cut short is written again.
        long copiedBytes = h.remote.bytesWritten() - peerBytesBefore;
        assertTrue(copiedBytes >= (long) owed * REGION && copiedBytes <= (owed + 1L) * REGION,
                "copied " + copiedBytes);
        ResyncProgress done = h.progress();
        assertEquals(State.DONE, done.state());
        assertEquals((long) owed * REGION, done.bytesDone());
        assertEquals(owed, done.regionsCopied());
    }

    @Test
    @Timeout(60)
    void applicationWritesIntoRegionsUnderResyncLeaveReplicasIdentical() throws Exception {
        int owed = 32;
        // Small chunks and a peer whose writes complete out of order after up to 300 us: each
        // region copy takes many steps, and the writers hammer the same regions throughout.
        RuntimeHarness h = harness(SIZE, REGION, false, rate(0, 4096));
        h.peerDevice.delayWrites(300);
        MirrorDevice mirror = h.runtime.device();
        fillRegions(mirror, 0, owed, 9);

        h.link.connect();
        AtomicBoolean resyncing = new AtomicBoolean(true);
        List<Future<Integer>> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long seed = t;
            writers.add(threads.submit(() -> {
                Random random = new Random(seed);
                int written = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (resyncing.get() && written < 20_000 && System.nanoTime() < deadline) {
                    int blocks = 1 + random.nextInt(32);
                    long offset = 512L * random.nextInt(owed * REGION / 512 - blocks);
                    writeRandom(mirror, offset, blocks * 512, random.nextLong());
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

        assertTrue(written > 100, "writes during the resync: " + written);
        assertEquals(h.local.sha256(), h.remote.sha256());
        assertEquals(0, h.dirty.owedCount());
        assertEquals(owed, h.progress().regionsCopied());
    }

    @Test
    @Timeout(30)
    void writeIntoRegionUnderCopyWaitsForTheCopy() throws Exception {
        RuntimeHarness h = harness(SIZE, REGION, false, rate(0, 4096));
        MirrorDevice mirror = h.runtime.device();
        fillRegions(mirror, 5, 1, 1);
        long target = 5L * REGION + 8192;
        List<CompletableFuture<Void>> raced = new CopyOnWriteArrayList<>();
        ByteBuf data = Unpooled.wrappedBuffer(
                TestData.randomBytes(77, 4096));
        // Right after the resync read the chunk at 'target' (old data), the application writes
        // there; the copy has not yet written that chunk to the peer.
        h.localDevice.afterRead(offset -> {
            if (offset == target && raced.isEmpty()
                    && Thread.currentThread().getName().startsWith("resync-")) {
                raced.add(mirror.write(target, data, false));
            }
        });

        h.link.connect();
        h.awaitSyncs(1, WAIT);
        raced.get(0).get(10, TimeUnit.SECONDS);
        data.release();

        assertEquals(h.local.sha256(), h.remote.sha256());
        assertEquals(TestData.sha256(TestData.randomBytes(77, 4096)),
                TestData.sha256(Fixtures.read(h.remote, target, 4096)));
    }

    @Test
    @Timeout(120)
    void resyncOfOneGibVolumeCopiesOnlyTheOwedRegions() throws Exception {
        long size = 1L << 30;
        int region = 1 << 20;
        RuntimeHarness h = harness(size, region, false, rate(0, 64 * 1024));
        MirrorDevice mirror = h.runtime.device();
        Random random = new Random(42);
        List<Long> regions = new ArrayList<>();
        while (regions.size() < 10) {
            long r = random.nextInt(1024);
            if (!regions.contains(r)) {
                regions.add(r);
            }
        }
        for (long r : regions) {
            // 8 KiB of data per region: the rest of each 1 MiB region is zeroes.
            writeRandom(mirror, r * region + 64 * 1024, 8192, r);
        }
        assertEquals(10, h.dirty.owedCount());

        h.link.connect();
        h.awaitSyncs(1, Duration.ofSeconds(60));

        assertEquals(10L * region, h.remote.bytesWritten(), "owed regions only, not the volume");
        assertEquals(10, h.peerDevice.dataWrites(), "one 64 KiB data chunk per region");
        assertEquals(10 * 15, h.peerDevice.zeroWrites(), "the zero chunks as write-zeroes");
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(60)
    void progressNeverGoesBackwardsThroughWritesPauseAndResume() throws Exception {
        int owed = 40;
        RuntimeHarness h = harness(SIZE, REGION, false, rate(512 * 1024, 8192));
        MirrorDevice mirror = h.runtime.device();
        fillRegions(mirror, 0, owed, 3);
        List<ResyncProgress> samples = new ArrayList<>();
        AtomicBoolean sampledPaused = new AtomicBoolean();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Future<?> sampler = threads.submit(() -> {
            while (sampling.get()) {
                ResyncProgress p = h.progress();
                samples.add(p);
                if (p.state() == State.PAUSED) {
                    sampledPaused.set(true);
                }
                Thread.sleep(1);
            }
            return null;
        });
        Future<?> writer = threads.submit(() -> {
            Random random = new Random(1);
            for (int i = 0; i < 300; i++) {
                writeRandom(mirror, 512L * random.nextInt(owed * REGION / 512 - 8), 4096,
                        random.nextLong());
                Thread.sleep(1);
            }
            return null;
        });

        h.link.connect();
        Fixtures.await("some regions copied", WAIT, () -> h.progress().regionsCopied() >= 12);
        h.link.disconnect();
        Fixtures.await("paused", WAIT, () -> h.progress().state() == State.PAUSED);
        // under load the sampler may be starved: let it see the pause before resuming
        Fixtures.await("a paused sample", WAIT, sampledPaused::get);
        // Regions that become owed while apart join the same resync when it resumes.
        fillRegions(mirror, 100, 6, 77);
        h.link.connect();
        writer.get(60, TimeUnit.SECONDS);
        h.awaitSyncs(1, WAIT);
        sampling.set(false);
        sampler.get(10, TimeUnit.SECONDS);
        samples.add(h.progress());

        ResyncProgress previous = ResyncProgress.idle();
        int running = 0;
        for (ResyncProgress p : samples) {
            if (p.state() == State.IDLE) {
                continue;
            }
            assertEquals(SyncDirection.LOCAL_TO_PEER, p.direction());
            assertTrue(p.bytesDone() >= previous.bytesDone(), p + " after " + previous);
            assertTrue(p.percent() >= previous.percent(), p + " after " + previous);
            assertTrue(p.bytesDone() <= p.bytesTotal(), p.toString());
            assertEquals(p.bytesTotal() == 0 ? 0.0 : 100.0 * p.bytesDone() / p.bytesTotal(),
                    p.percent(), 1e-9, p.toString());
            running += p.state() == State.RUNNING ? 1 : 0;
            previous = p;
        }
        assertTrue(running > 10, "sampled while running: " + running);
        assertTrue(samples.stream().anyMatch(p -> p.state() == State.RUNNING
                && p.bytesPerSecond() > 0 && p.etaSeconds() >= 0), "a rate and an ETA shown");
        assertTrue(samples.stream().anyMatch(p -> p.state() == State.PAUSED));
        ResyncProgress last = samples.get(samples.size() - 1);
        assertEquals(State.DONE, last.state());
        assertEquals(100.0, last.percent());
        assertTrue(last.bytesDone() >= (owed + 6L) * REGION, last.toString());
        assertFalse(samples.stream().anyMatch(p -> p.etaSeconds() < -1));
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    @Timeout(30)
    void rateLimitHoldsTheCopyBack() throws Exception {
        // 2 MiB owed at 512 KiB/s: the first 512 KiB go at once, the rest take about 3 s.
        RuntimeHarness h = harness(SIZE, REGION, false, rate(512 * 1024, REGION));
        fillRegions(h.runtime.device(), 0, 32, 1);
        long start = System.nanoTime();

        h.link.connect();
        h.awaitSyncs(1, WAIT);

        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds >= 2.5, "took " + seconds + " s");
        assertEquals(h.local.sha256(), h.remote.sha256());
    }

    @Test
    void zeroChunksAreDetected() {
        ByteBuf zero = Unpooled.wrappedBuffer(new byte[4099]);
        ByteBuf last = Unpooled.wrappedBuffer(new byte[4099]);
        last.setByte(4098, 1);
        try {
            assertTrue(ResyncEngine.isZero(zero));
            assertFalse(ResyncEngine.isZero(last));
        } finally {
            zero.release();
            last.release();
        }
    }
}
