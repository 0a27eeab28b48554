package io.mirrorgate.replicator.mirror;

import static io.mirrorgate.replicator.testing.Fixtures.read;
import static io.mirrorgate.replicator.testing.Fixtures.writeRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.testing.ControllableBlockDevice;
import io.mirrorgate.replicator.testing.Fixtures;
import io.mirrorgate.replicator.testing.MemoryDirtyRegions;
import io.mirrorgate.replicator.testing.MemoryGenerationStore;
import io.mirrorgate.replicator.testing.TestPeerLink;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MirrorDeviceTest {
    private static final long SIZE = 4L << 20;
    private static final long REGION = 64 * 1024;

    private final MemoryBlockDevice local = new MemoryBlockDevice("local", SIZE, 512, false);
    private final MemoryBlockDevice remote = new MemoryBlockDevice("peer", SIZE, 512, false);
    private final MemoryDirtyRegions dirty = new MemoryDirtyRegions(SIZE, REGION);
    private final MemoryGenerationStore store = new MemoryGenerationStore(new Generations(5, 5, 5));
    private final ExecutorService metadata = Executors.newSingleThreadExecutor();
    private final ExecutorService writers = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() throws InterruptedException {
        writers.shutdownNow();
        metadata.shutdownNow();
        assertTrue(writers.awaitTermination(10, TimeUnit.SECONDS));
    }

    private MirrorDevice mirror(BlockDevice localDevice, TestPeerLink link, ReplicationMode mode,
            long backlog) {
        return new MirrorDevice(localDevice, link, dirty, store, mode, backlog, metadata);
    }

    private MirrorDevice attached(ReplicationMode mode) {
        MirrorDevice mirror = mirror(local, new TestPeerLink(remote, 5, true), mode, 1 << 20);
        mirror.attachPeer(false);
        return mirror;
    }

    /** Writes from 4 threads, 2000 random writes of 512 B..64 KiB, many overlapping. */
    private void hammer(BlockDevice device, long seed, int writesPerThread, long span)
            throws Exception {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long threadSeed = seed * 31 + t;
            futures.add(writers.submit(() -> {
                Random random = new Random(threadSeed);
                for (int i = 0; i < writesPerThread; i++) {
                    int blocks = 1 + random.nextInt(128);
                    long offset = 512L * random.nextInt((int) ((span - blocks * 512L) / 512));
                    writeRandom(device, offset, blocks * 512, random.nextLong());
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @EnumSource(ReplicationMode.class)
    @Timeout(60)
    void steadyRandomWritesLeaveBothReplicasIdentical(ReplicationMode mode) throws Exception {
        ControllableBlockDevice slowPeer = new ControllableBlockDevice(remote);
        slowPeer.delayWrites(50);
        MirrorDevice mirror = mirror(local, new TestPeerLink(remote, slowPeer, 5, true), mode,
                256 * 1024);
        mirror.attachPeer(false);

        hammer(mirror, 1, 300, SIZE);
        mirror.flush().get(10, TimeUnit.SECONDS);
        Fixtures.await("async backlog drained", Duration.ofSeconds(20),
                () -> mirror.counters().asyncBacklogBytes() == 0 && dirty.inFlightRegions() == 0);

        assertEquals(local.sha256(), remote.sha256());
        assertNotEquals(new MemoryBlockDevice(SIZE).sha256(), local.sha256());
        assertEquals(0, dirty.owedCount());
        MirrorCounters counters = mirror.counters();
        assertEquals(1200, counters.writes());
        assertEquals(0, counters.peerWriteFailures());
        assertFalse(counters.degraded());
        slowPeer.close();
    }

    @Test
    @Timeout(30)
    void overlappingWritesReachBothReplicasInTheSameOrder() throws Exception {
        ControllableBlockDevice peerDevice = new ControllableBlockDevice(remote);
        MirrorDevice mirror = mirror(local, new TestPeerLink(remote, peerDevice, 5, true),
                ReplicationMode.FULLSYNC, 1 << 20);
        mirror.attachPeer(false);
        ByteBuf first = Unpooled.wrappedBuffer(
                TestData.randomBytes(1, 8192));
        ByteBuf second = Unpooled.wrappedBuffer(
                TestData.randomBytes(2, 8192));
        peerDevice.holdWrites();

        CompletableFuture<Void> w1 = mirror.write(4096, first, false);
        CompletableFuture<Void> w2 = mirror.write(0, second, false);
        // The peer replies out of order; the second write must not have overtaken the first.
        peerDevice.releaseHeldInReverse();
        w1.get(10, TimeUnit.SECONDS);
        w2.get(10, TimeUnit.SECONDS);
        first.release();
        second.release();

        assertEquals(local.sha256(), remote.sha256());
        assertArrayEquals(TestData.randomBytes(2, 8192), read(remote, 0, 8192));
        peerDevice.close();
    }

    @Test
    @Timeout(30)
    void flushOfBothReplicasLetsIdleRegionsBeUnmarked() throws Exception {
        MirrorDevice mirror = attached(ReplicationMode.FULLSYNC);
        writeRandom(mirror, 0, 4096, 7);
        assertTrue(dirty.isMarked(0));

        mirror.flush().get(10, TimeUnit.SECONDS);

        assertFalse(dirty.isMarked(0));
    }

    @Test
    @Timeout(30)
    void aWriteThatEndsWhileTheFlushRunsStaysMarked() throws Exception {
        ControllableBlockDevice peerDevice = new ControllableBlockDevice(remote);
        MirrorDevice mirror = mirror(local, new TestPeerLink(remote, peerDevice, 5, true),
                ReplicationMode.FULLSYNC, 1 << 20);
        mirror.attachPeer(false);
        writeRandom(mirror, 0, 4096, 1);
        peerDevice.holdFlushes();

        CompletableFuture<Void> flush = mirror.flush();
        writeRandom(mirror, 9 * REGION, 4096, 2);
        peerDevice.releaseFlushes();
        flush.get(10, TimeUnit.SECONDS);

        assertFalse(dirty.isMarked(0), "ended before the flush: durable on both");
        assertTrue(dirty.isMarked(9), "ended while the flush ran: maybe not durable on the peer");
        mirror.flush().get(10, TimeUnit.SECONDS);
        assertFalse(dirty.isMarked(9));
        peerDevice.close();
    }

    @Test
    @Timeout(30)
    void localWriteFailureFailsTheRequest() throws Exception {
        MirrorDevice mirror = attached(ReplicationMode.FULLSYNC);
        local.setFailing(ErrorCode.EIO);

        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> writeRandom(mirror, 8192, 4096, 3));

        assertEquals(ErrorCode.EIO, MirrorgateException.codeOf(failure));
        assertEquals(1, mirror.counters().localWriteFailures());
        assertEquals(0, mirror.counters().bytesWritten());
        // The peer may hold it and local does not: the region must be copied again.
        assertTrue(dirty.isOwed(0));
    }

    @ParameterizedTest
    @EnumSource(ReplicationMode.class)
    @Timeout(30)
    void localWriteFailureFailsTheRequestInEveryMode(ReplicationMode mode) throws Exception {
        MirrorDevice mirror = attached(mode);
        local.setFailing(ErrorCode.EIO);

        assertThrows(ExecutionException.class, () -> writeRandom(mirror, 0, 512, 1));
        assertThrows(ExecutionException.class,
                () -> mirror.writeZeroes(0, 512, false).get(10, TimeUnit.SECONDS));
    }

    @Test
    @Timeout(30)
    void readErrorIsServedFromPeerAndRepairedLocally() throws Exception {
        ControllableBlockDevice badLocal = new ControllableBlockDevice(local);
        MirrorDevice mirror = mirror(badLocal, new TestPeerLink(remote, 5, true),
                ReplicationMode.FULLSYNC, 1 << 20);
        mirror.attachPeer(false);
        byte[] good = TestData.randomBytes(11, 8192);
        writeRandom(remote, 65536, 8192, 11);
        badLocal.failReads(65536 + 4096, 512);

        assertArrayEquals(good, read(mirror, 65536, 8192));

        badLocal.failReads(-1, 0);
        assertArrayEquals(good, read(local, 65536, 8192));
        assertEquals(1, mirror.counters().localReadErrors());
        assertEquals(1, mirror.counters().localReadErrorsRepaired());
    }

    @Test
    @Timeout(30)
    void readErrorWithoutPeerFails() throws Exception {
        ControllableBlockDevice badLocal = new ControllableBlockDevice(local);
        MirrorDevice mirror = mirror(badLocal, new TestPeerLink(remote, 5, false),
                ReplicationMode.FULLSYNC, 1 << 20);
        badLocal.failReads(0, 512);

        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> read(mirror, 0, 4096));
        assertEquals(ErrorCode.EIO, MirrorgateException.codeOf(failure));
        assertEquals(0, mirror.counters().localReadErrorsRepaired());
    }

    @Test
    @Timeout(30)
    void generationIsRaisedOncePerApartPeriodBeforeTheFirstDegradedWrite() throws Exception {
        TestPeerLink link = new TestPeerLink(remote, 5, true);
        MirrorDevice mirror = mirror(local, link, ReplicationMode.FULLSYNC, 1 << 20);
        mirror.attachPeer(false);
        writeRandom(mirror, 0, 4096, 1);
        AtomicLong localBytesAtStore = new AtomicLong(-1);
        store.onStore(g -> localBytesAtStore.set(local.bytesWritten()));
        long localBytesBefore = local.bytesWritten();

        link.disconnect();
        mirror.detachPeer();
        for (int i = 0; i < 5; i++) {
            writeRandom(mirror, REGION * (i + 2), 4096, 100 + i);
        }

        assertEquals(List.of(new Generations(6, 5, 5)), store.history());
        assertEquals(localBytesBefore, localBytesAtStore.get(),
                "the generation must be durable before the first degraded write is issued");
        assertEquals(5, mirror.counters().degradedWrites());
        assertEquals(5, dirty.owedCount());

        // A second apart period raises it once more.
        link.connect();
        mirror.attachPeer(false);
        writeRandom(mirror, 0, 4096, 2);
        link.disconnect();
        mirror.detachPeer();
        writeRandom(mirror, 0, 4096, 3);
        writeRandom(mirror, 4096, 4096, 4);
        assertEquals(List.of(new Generations(6, 5, 5), new Generations(7, 5, 5)),
                store.history());
    }

    @Test
    @Timeout(30)
    void peerWriteFailureDegradesButTheWriteSucceedsLocally() throws Exception {
        TestPeerLink link = new TestPeerLink(remote, 5, true);
        MirrorDevice mirror = mirror(local, link, ReplicationMode.FULLSYNC, 1 << 20);
        mirror.attachPeer(false);
        List<Throwable> lost = new ArrayList<>();
        mirror.onPeerLost(lost::add);
        remote.setFailing(ErrorCode.EIO);

        writeRandom(mirror, REGION * 3, 4096, 9);

        assertArrayEquals(TestData.randomBytes(9, 4096), read(local, REGION * 3, 4096));
        assertTrue(dirty.isOwed(3));
        assertEquals(1, lost.size());
        assertEquals(1, mirror.counters().peerWriteFailures());
        assertTrue(mirror.counters().degraded());
        assertEquals(List.of(new Generations(6, 5, 5)), store.history(),
                "raised before the failed write was acknowledged");
    }

    @Test
    @Timeout(60)
    void asyncBacklogStaysWithinItsBound() throws Exception {
        ControllableBlockDevice slowPeer = new ControllableBlockDevice(remote);
        slowPeer.delayWrites(2000);
        long bound = 256 * 1024;
        MirrorDevice mirror = mirror(local, new TestPeerLink(remote, slowPeer, 5, true),
                ReplicationMode.ASYNC, bound);
        mirror.attachPeer(false);

        // 4 threads x 40 writes of 64 KiB into disjoint regions: 10 MiB against a 256 KiB bound.
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            futures.add(writers.submit(() -> {
                for (int i = 0; i < 40; i++) {
                    long offset = ((thread * 40L + i) % 64) * REGION;
                    writeRandom(mirror, offset, (int) REGION, thread * 1000L + i);
                    assertTrue(mirror.counters().asyncBacklogBytes() <= bound);
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        Fixtures.await("async backlog drained", Duration.ofSeconds(30),
                () -> mirror.counters().asyncBacklogBytes() == 0 && dirty.inFlightRegions() == 0);

        MirrorCounters counters = mirror.counters();
        assertTrue(counters.asyncBacklogPeak() <= bound, "peak " + counters.asyncBacklogPeak());
        assertTrue(counters.asyncBacklogPeak() >= REGION, "the backlog was used");
        assertTrue(slowPeer.maxWritesInFlight() <= bound / REGION);
        assertEquals(local.sha256(), remote.sha256());
        slowPeer.close();
    }

    @Test
    @Timeout(30)
    void asyncWritesWhilePeerIsAwayAreOwedNotQueued() throws Exception {
        TestPeerLink link = new TestPeerLink(remote, 5, true);
        MirrorDevice mirror = mirror(local, link, ReplicationMode.ASYNC, 128 * 1024);
        mirror.attachPeer(false);
        link.disconnect();

        for (int i = 0; i < 20; i++) {
            writeRandom(mirror, REGION * i, (int) REGION, i);
        }

        assertEquals(20, dirty.owedCount());
        assertEquals(0, mirror.counters().asyncBacklogBytes());
        assertTrue(mirror.counters().degraded());
    }

    @Test
    @Timeout(30)
    void trimAndWriteZeroesAreMirrored() throws Exception {
        MirrorDevice mirror = attached(ReplicationMode.FULLSYNC);
        writeRandom(mirror, 0, (int) (4 * REGION), 5);

        mirror.trim(REGION, REGION).get(10, TimeUnit.SECONDS);
        mirror.writeZeroes(3 * REGION, 4096, true).get(10, TimeUnit.SECONDS);

        assertEquals(local.sha256(), remote.sha256());
        assertArrayEquals(new byte[4096], read(remote, 3 * REGION, 4096));
        assertArrayEquals(new byte[(int) REGION], read(local, REGION, (int) REGION));
    }

    @Test
    @Timeout(30)
    void misalignedOrOutOfBoundsRequestsTouchNothing() throws Exception {
        MirrorDevice mirror = attached(ReplicationMode.FULLSYNC);

        assertThrows(ExecutionException.class, () -> writeRandom(mirror, 100, 512, 1));
        assertThrows(ExecutionException.class, () -> writeRandom(mirror, SIZE, 512, 1));
        assertEquals(0, local.bytesWritten() + remote.bytesWritten());
        assertEquals(0, dirty.metadataWrites());
    }
}
