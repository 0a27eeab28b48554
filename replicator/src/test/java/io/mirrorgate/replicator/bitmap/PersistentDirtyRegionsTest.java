package io.mirrorgate.replicator.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class PersistentDirtyRegionsTest {
    static final long REGION = 64 * 1024;
    static final long VOLUME = 256 * REGION;

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<CountDownLatch> gates = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        gates.forEach(CountDownLatch::countDown);
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    /** A metadata file with nothing marked (as after a completed first sync). */
    static Path cleanMetadata(Path dir) {
        Path meta = dir.resolve("r0.mgmeta");
        MetadataFile.create(meta, "r0", "alpha", VOLUME, REGION);
        try (PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, 64)) {
            for (long r = 0; r < regions.regionCount(); r++) {
                regions.markSynced(r);
            }
        }
        assertEquals(0, MetadataFile.inspect(meta).markedCount());
        return meta;
    }

    private PersistentDirtyRegions open(Path meta, int activity) {
        PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, activity);
        toClose.add(regions);
        return regions;
    }

    private static void write(PersistentDirtyRegions regions, long region, boolean replicated) {
        regions.beginWrite(region * REGION + 512, 4096).join();
        regions.endWrite(region * REGION + 512, 4096, replicated);
    }

    @Test
    void freshResourceOwesEveryRegion() {
        Path meta = dir.resolve("r0.mgmeta");
        MetadataFile.create(meta, "r0", "alpha", VOLUME, REGION);
        PersistentDirtyRegions regions = open(meta, 8);
        assertEquals(256, regions.owedCount());
        assertEquals(0, regions.nextOwed(0));
        assertTrue(regions.wasCleanShutdown());
        assertFalse(MetadataFile.inspect(meta).cleanShutdown(), "running: a crash from now on is unclean");
    }

    @Test
    void beginWriteCompletesOnlyAfterTheMarkIsSyncedToDisk() throws Exception {
        Path meta = cleanMetadata(dir);
        CountDownLatch gate = new CountDownLatch(1);
        ExecutorService committer = gatedExecutor(gate);
        PersistentDirtyRegions regions = PersistentDirtyRegions.open(MetadataFile.open(meta, VOLUME), 8, committer);
        toClose.add(regions);
        long syncs = regions.metadataSyncs();
        CompletableFuture<Void> f = regions.beginWrite(5 * REGION, REGION + 1); // regions 5 and 6
        assertFalse(f.isDone(), "must wait for the metadata sync");
        assertEquals(syncs, regions.metadataSyncs());
        gate.countDown();
        f.get(10, TimeUnit.SECONDS);
        assertEquals(syncs + 1, regions.metadataSyncs());
        MetadataSnapshot onDisk = MetadataFile.inspect(meta); // a separate FileChannel read
        assertTrue(onDisk.isMarked(5));
        assertTrue(onDisk.isMarked(6));
        assertEquals(2, onDisk.markedCount());
        regions.endWrite(5 * REGION, REGION + 1, true);
    }

    @Test
    void writesIntoMarkedRegionsCostNoMetadataSync() {
        Path meta = cleanMetadata(dir);
        PersistentDirtyRegions regions = open(meta, 8);
        write(regions, 3, true);
        long syncs = regions.metadataSyncs();
        for (int i = 0; i < 100; i++) {
            CompletableFuture<Void> f = regions.beginWrite(3 * REGION + i * 512L, 512);
            assertTrue(f.isDone(), "already marked: completed at once");
            regions.endWrite(3 * REGION + i * 512L, 512, true);
        }
        regions.bothDurable(); // region 3 is in the activity set: stays marked, nothing to sync
        assertEquals(syncs, regions.metadataSyncs());
        assertTrue(regions.isMarked(3));
    }

    @Test
    void bothDurableUnmarksOnlyIdleReplicatedRegionsOutsideTheActivitySet() {
        Path meta = cleanMetadata(dir);
        PersistentDirtyRegions regions = open(meta, 1);
        write(regions, 1, true);
        write(regions, 2, false); // the peer did not get it: owed
        regions.beginWrite(3 * REGION, 4096).join(); // in flight
        write(regions, 4, true);
        long mark = regions.durabilityMark();
        write(regions, 5, true); // ends after the mark: not known durable
        write(regions, 7, true); // the activity set (capacity 1)
        regions.bothDurable(mark);
        assertFalse(regions.isMarked(1));
        assertTrue(regions.isMarked(2), "owed");
        assertTrue(regions.isMarked(3), "in flight");
        assertFalse(regions.isMarked(4));
        assertTrue(regions.isMarked(5), "ended after the flush began");
        assertTrue(regions.isMarked(7), "in the activity set");
        regions.bothDurable();
        assertFalse(regions.isMarked(5));
        assertTrue(regions.isMarked(7));
        assertEquals(List.of(2L), owedList(regions));
        regions.endWrite(3 * REGION, 4096, true);
        regions.close();
        MetadataSnapshot onDisk = MetadataFile.inspect(meta);
        assertTrue(onDisk.cleanShutdown());
        assertEquals(List.of(2, 3), onDisk.marked().stream().boxed().toList(),
                "close unmarks the activity set's durable regions; region 3 ended after the last flush");
    }

    @Test
    void owedRegionsSurviveCloseAndReopen() {
        Path meta = cleanMetadata(dir);
        try (PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, 4)) {
            write(regions, 10, false);
            write(regions, 20, true);
            write(regions, 30, false);
            regions.bothDurable();
        }
        PersistentDirtyRegions regions = open(meta, 4);
        assertTrue(regions.wasCleanShutdown());
        assertEquals(List.of(10L, 30L), owedList(regions));
        regions.markSynced(10);
        assertFalse(regions.isOwed(10));
        assertFalse(regions.isMarked(10));
        assertEquals(1, regions.owedCount());
    }

    @Test
    void uncleanReopenMakesEveryMarkedRegionOwed() throws Exception {
        Path meta = cleanMetadata(dir);
        PersistentDirtyRegions crashed = open(meta, 64);
        write(crashed, 1, true);
        write(crashed, 2, true);
        crashed.beginWrite(3 * REGION, 4096).join(); // in flight at the "crash"
        crashed.bothDurable(); // 1 and 2 stay marked: activity set
        // What the disk holds if the machine dies now: a copy of the file, taken while it is in use.
        Path atCrash = dir.resolve("at-crash.mgmeta");
        Files.copy(meta, atCrash);
        PersistentDirtyRegions reopened = open(atCrash, 64);
        assertFalse(reopened.wasCleanShutdown());
        assertEquals(List.of(1L, 2L, 3L), owedList(reopened));
    }

    @Test
    void aSecondUserOfTheMetadataIsRefused() {
        Path meta = cleanMetadata(dir);
        open(meta, 8);
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> MetadataFile.open(meta, VOLUME));
        assertEquals(ErrorCode.EACCES, e.code());
        assertTrue(e.getMessage().contains("metadata in use by another replicator"), e.getMessage());
    }

    @Test
    void concurrentMarkersShareOneMetadataSync() throws Exception {
        Path meta = cleanMetadata(dir);
        CountDownLatch gate = new CountDownLatch(1);
        PersistentDirtyRegions regions = PersistentDirtyRegions.open(MetadataFile.open(meta, VOLUME), 256,
                gatedExecutor(gate));
        toClose.add(regions);
        long syncs = regions.metadataSyncs();
        ExecutorService writers = Executors.newFixedThreadPool(4);
        List<CompletableFuture<Void>> marks = new ArrayList<>();
        try {
            List<java.util.concurrent.Future<CompletableFuture<Void>>> started = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                long offset = i * 2 * REGION;
                started.add(writers.submit(() -> regions.beginWrite(offset, 4096)));
            }
            for (java.util.concurrent.Future<CompletableFuture<Void>> s : started) {
                marks.add(s.get(10, TimeUnit.SECONDS));
            }
        } finally {
            writers.shutdown();
        }
        assertTrue(marks.stream().noneMatch(CompletableFuture::isDone));
        gate.countDown();
        CompletableFuture.allOf(marks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertEquals(syncs + 1, regions.metadataSyncs(), "64 markers, one group commit");
        assertEquals(64, MetadataFile.inspect(meta).markedCount());
        for (int i = 0; i < 64; i++) {
            regions.endWrite(i * 2 * REGION, 4096, true);
        }
    }

    @Test
    void markAllOwedMarksEveryRegionDurably() {
        Path meta = cleanMetadata(dir);
        PersistentDirtyRegions regions = open(meta, 8);
        write(regions, 4, true);
        regions.markAllOwed();
        assertEquals(256, regions.owedCount());
        assertEquals(256, MetadataFile.inspect(meta).markedCount());
        assertEquals(100, regions.nextOwed(100));
        regions.markSynced(100);
        assertEquals(101, regions.nextOwed(100));
        assertEquals(-1, regions.nextOwed(256));
    }

    @Test
    void misuseIsRejected() {
        Path meta = cleanMetadata(dir);
        PersistentDirtyRegions regions = open(meta, 8);
        assertThrows(IllegalArgumentException.class, () -> regions.beginWrite(VOLUME - 512, 1024));
        assertThrows(IllegalArgumentException.class, () -> regions.beginWrite(-1, 1));
        assertThrows(IllegalStateException.class, () -> regions.endWrite(0, 512, true));
        assertThrows(IllegalArgumentException.class, () -> regions.markSynced(256));
        assertTrue(regions.beginWrite(0, 0).isDone());
        regions.close();
        regions.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> regions.beginWrite(0, 512).get());
        assertEquals(ErrorCode.ESHUTDOWN, MirrorgateException.codeOf(e));
    }

    private static List<Long> owedList(PersistentDirtyRegions regions) {
        List<Long> owed = new ArrayList<>();
        for (long r = regions.nextOwed(0); r >= 0; r = regions.nextOwed(r + 1)) {
            owed.add(r);
        }
        return owed;
    }

    /** A single committer thread that runs nothing until {@code gate} opens. */
    private ExecutorService gatedExecutor(CountDownLatch gate) {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executor.execute(() -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        gates.add(gate);
        return executor;
    }
}
