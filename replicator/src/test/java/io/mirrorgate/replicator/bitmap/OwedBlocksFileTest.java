package io.mirrorgate.replicator.bitmap;

import static io.mirrorgate.replicator.bitmap.PersistentDirtyRegionsTest.REGION;
import static io.mirrorgate.replicator.bitmap.PersistentDirtyRegionsTest.VOLUME;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fine map across a restart of the bitmap: exact after a clean close; ignored (every marked
 * region owed whole) when torn, stale, or after an unclean shutdown; a region with a write in
 * flight at close is owed whole.
 */
class OwedBlocksFileTest {
    private static final long KIB = 1024;

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private PersistentDirtyRegions open(Path meta) {
        PersistentDirtyRegions regions = PersistentDirtyRegions.open(meta, VOLUME, 4);
        toClose.add(regions);
        return regions;
    }

    /** A degraded write: marked, issued locally, not replicated. */
    private static void degradedWrite(PersistentDirtyRegions regions, long offset, long length) {
        regions.beginWrite(offset, length).join();
        regions.endWrite(offset, length, false);
    }

    /** Scattered 4 KiB writes in regions 3 and 7 and one write of 8 KiB at the start of region 9. */
    private static void scatter(PersistentDirtyRegions regions) {
        degradedWrite(regions, 3 * REGION + 4 * KIB, 4 * KIB);
        degradedWrite(regions, 3 * REGION + 40 * KIB, 4 * KIB);
        degradedWrite(regions, 7 * REGION + 60 * KIB, 4 * KIB);
        degradedWrite(regions, 9 * REGION, 8 * KIB);
    }

    /** Opens the bitmap on {@code meta}, writes {@link #scatter} while degraded, closes it cleanly. */
    private void scatterAndCloseCleanly(Path meta) {
        PersistentDirtyRegions regions = open(meta);
        scatter(regions);
        regions.close();
    }

    private static final List<OwedRange> REGION_3 = List.of(new OwedRange(3 * REGION + 4 * KIB, 4 * KIB),
            new OwedRange(3 * REGION + 40 * KIB, 4 * KIB));

    @Test
    void aCleanCloseKeepsTheOwedBlocksExactlyAcrossARestart() {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        PersistentDirtyRegions regions = open(meta);
        scatter(regions);
        assertEquals(20 * KIB, regions.owedBytes());
        regions.close();
        assertTrue(Files.exists(OwedBlocksFile.pathFor(meta)));

        PersistentDirtyRegions reopened = open(meta);
        assertEquals(3, reopened.owedCount());
        assertEquals(REGION_3, reopened.owedRanges(3));
        assertEquals(List.of(new OwedRange(7 * REGION + 60 * KIB, 4 * KIB)), reopened.owedRanges(7));
        assertEquals(List.of(new OwedRange(9 * REGION, 8 * KIB)), reopened.owedRanges(9));
        assertEquals(20 * KIB, reopened.owedBytes());

        // and again, with one more block: the map written by the second close is the one read
        degradedWrite(reopened, 7 * REGION, 4 * KIB);
        reopened.close();
        PersistentDirtyRegions third = open(meta);
        assertEquals(24 * KIB, third.owedBytes());
    }

    @Test
    void afterAnUncleanShutdownEveryMarkedRegionIsOwedWhole() {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        scatterAndCloseCleanly(meta);
        PersistentDirtyRegions running = PersistentDirtyRegions.open(meta, VOLUME, 4); // never closed
        degradedWrite(running, 3 * REGION + 8 * KIB, 4 * KIB); // not in the map on disk
        running.metadata().close(); // the process dies: no clean close, the flag stays unclean

        PersistentDirtyRegions afterCrash = open(meta);
        assertEquals(3, afterCrash.owedCount());
        assertEquals(List.of(new OwedRange(3 * REGION, REGION)), afterCrash.owedRanges(3));
        assertEquals(3 * REGION, afterCrash.owedBytes());
    }

    @Test
    void aTornFineMapIsIgnored() throws IOException {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        scatterAndCloseCleanly(meta);
        Path fine = OwedBlocksFile.pathFor(meta);
        try (RandomAccessFile f = new RandomAccessFile(fine.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x40);
        }
        assertEquals(3 * REGION, open(meta).owedBytes());
    }

    @Test
    void aTruncatedFineMapIsIgnored() throws IOException {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        scatterAndCloseCleanly(meta);
        Path fine = OwedBlocksFile.pathFor(meta);
        try (RandomAccessFile f = new RandomAccessFile(fine.toFile(), "rw")) {
            f.setLength(f.length() - 9);
        }
        assertEquals(3 * REGION, open(meta).owedBytes());
    }

    @Test
    void aStaleFineMapFromAnEarlierCleanShutdownIsIgnored() throws IOException {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        scatterAndCloseCleanly(meta);
        Path fine = OwedBlocksFile.pathFor(meta);
        Path old = dir.resolve("old.owed");
        Files.copy(fine, old);

        PersistentDirtyRegions second = open(meta);
        degradedWrite(second, 3 * REGION + 8 * KIB, 4 * KIB);
        second.close();
        Files.copy(old, fine, StandardCopyOption.REPLACE_EXISTING); // lacks the block at 8 KiB

        PersistentDirtyRegions third = open(meta);
        assertEquals(List.of(new OwedRange(3 * REGION, REGION)), third.owedRanges(3),
                "the stale map would have forgotten a block: whole region instead");
        assertEquals(3 * REGION, third.owedBytes());
    }

    @Test
    void aRegionWithAWriteInFlightAtCloseIsOwedWhole() {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        PersistentDirtyRegions regions = open(meta);
        scatter(regions);
        regions.beginWrite(3 * REGION + 20 * KIB, 4 * KIB).join(); // never ends before the close
        regions.close();

        PersistentDirtyRegions reopened = open(meta);
        assertEquals(List.of(new OwedRange(3 * REGION, REGION)), reopened.owedRanges(3));
        assertEquals(List.of(new OwedRange(9 * REGION, 8 * KIB)), reopened.owedRanges(9));
    }

    @Test
    void copiedRegionsAreNoLongerOwedAfterARestart() {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        PersistentDirtyRegions regions = open(meta);
        scatter(regions);
        regions.markSynced(3);
        regions.bothDurable(); // region 3 may be unmarked: not owed, durable on both sides
        regions.close();
        PersistentDirtyRegions reopened = open(meta);
        assertEquals(2, reopened.owedCount());
        assertEquals(12 * KIB, reopened.owedBytes());
    }

    @Test
    void aFineMapThatCannotBeWrittenLeavesACleanShutdownWithWholeRegions() throws IOException {
        Path meta = PersistentDirtyRegionsTest.cleanMetadata(dir);
        Path fine = OwedBlocksFile.pathFor(meta);
        Files.createDirectories(fine.resolveSibling(fine.getFileName() + ".tmp")); // the write fails
        scatterAndCloseCleanly(meta);
        assertTrue(MetadataFile.inspect(meta).cleanShutdown(), "the marks are exact: still a clean shutdown");
        // what is at `fine` is the map of cleanMetadata's close: stale, ignored

        PersistentDirtyRegions reopened = open(meta);
        assertEquals(3, reopened.owedCount());
        assertEquals(3 * REGION, reopened.owedBytes());
    }
}
