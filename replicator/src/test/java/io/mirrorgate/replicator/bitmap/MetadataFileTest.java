package io.mirrorgate.replicator.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class MetadataFileTest {
    private static final long MIB = 1L << 20;
    private static final long VOLUME = 10 * MIB + 4096; // 11 regions of 1 MiB, the last one partial

    @TempDir
    Path dir;

    private Path create() {
        Path meta = dir.resolve("r0.mgmeta");
        MetadataFile.create(meta, "r0", "alpha", VOLUME, MIB);
        return meta;
    }

    @Test
    void createdFileMarksEveryRegionWithInitialGenerations() throws IOException {
        Path meta = create();
        MetadataSnapshot s = MetadataFile.inspect(meta);
        assertEquals("r0", s.resource());
        assertEquals("alpha", s.localNode());
        assertEquals("", s.peerNode());
        assertEquals(Generations.initial(), s.generations());
        assertTrue(s.cleanShutdown());
        assertEquals(MIB, s.regionSize());
        assertEquals(VOLUME, s.volumeSize());
        assertEquals(11, s.regionCount());
        assertEquals(11, s.markedCount());
        assertFalse(s.marked().get(11), "no bit past the last region");
        assertEquals(MetadataFile.fileSize(11), Files.size(meta));
        assertEquals(8192, Files.size(meta));
    }

    @Test
    void headerUpdatesRoundTripThroughReopen() {
        Path meta = create();
        Generations g = new Generations(7, 5, 3);
        try (MetadataFile f = MetadataFile.open(meta, VOLUME)) {
            f.storeGenerations(new Generations(2, 1, 0));
            f.storeGenerations(g);
            f.storePeerNode("beta");
            f.markRunning();
            assertEquals(g, f.generations());
            assertEquals(4, f.syncCount());
        }
        try (MetadataFile f = MetadataFile.open(meta, VOLUME)) {
            assertEquals(g, f.generations());
            assertEquals("beta", f.peerNode());
            assertFalse(f.wasCleanShutdown());
            assertEquals(MetadataFile.inspect(meta).uuid(), f.uuid());
        }
    }

    @Test
    void tornNewerHeaderCopyFallsBackToTheOlderCopy() throws IOException {
        Path meta = create();
        try (MetadataFile f = MetadataFile.open(meta, VOLUME)) {
            f.storeGenerations(new Generations(9, 9, 9)); // sequence 2: copy B
        }
        corrupt(meta, MetadataHeader.SIZE + 240);
        try (MetadataFile f = MetadataFile.open(meta, VOLUME)) {
            assertEquals(Generations.initial(), f.generations());
        }
    }

    @Test
    void badMagicIsRejected() throws IOException {
        Path meta = create();
        write(meta, 0, "NOTMETA!".getBytes());
        write(meta, MetadataHeader.SIZE, "NOTMETA!".getBytes());
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> MetadataFile.open(meta, VOLUME));
        assertEquals(ErrorCode.EINVAL, e.code());
        assertTrue(e.getMessage().startsWith(meta + ": invalid metadata: no valid header: bad magic \"NOTMETA!\" "
                + "(expected: \"MGMETA\\x0d\\x0a\", a Mirrorgate metadata file)"), e.getMessage());
    }

    @Test
    void badChecksumIsRejected() throws IOException {
        Path meta = create();
        corrupt(meta, 232);
        corrupt(meta, MetadataHeader.SIZE + 232);
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> MetadataFile.open(meta, VOLUME));
        assertTrue(e.getMessage().contains("no valid header: copy A: header checksum mismatch: stored"), e.getMessage());
        assertTrue(e.getMessage().contains("copy B: header checksum mismatch"), e.getMessage());
    }

    @Test
    void unsupportedVersionIsRejected() throws IOException {
        Path meta = create();
        ByteBuffer v = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, 2);
        write(meta, 8, v.array());
        write(meta, MetadataHeader.SIZE + 8, v.array());
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> MetadataFile.open(meta, VOLUME));
        assertTrue(e.getMessage().contains("unsupported version 2 (expected: 1)"), e.getMessage());
    }

    @Test
    void wrongVolumeSizeIsRejected() {
        Path meta = create();
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> MetadataFile.open(meta, VOLUME + 4096));
        assertEquals(ErrorCode.EINVAL, e.code());
        assertTrue(e.getMessage().startsWith(meta + ": volume size " + VOLUME + " recorded in the metadata differs "
                + "from the local replica's size " + (VOLUME + 4096)), e.getMessage());
    }

    @Test
    void truncatedFileIsRejectedBeforeMapping() throws IOException {
        Path meta = create();
        try (FileChannel ch = FileChannel.open(meta, StandardOpenOption.WRITE)) {
            ch.truncate(4096);
        }
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> MetadataFile.open(meta, VOLUME));
        assertTrue(e.getMessage().contains("file is 4096 bytes (expected: 8192 for 11 regions"), e.getMessage());
        assertEquals(4096, Files.size(meta), "not grown by the mapping");
    }

    @Test
    void missingFileIsNamed() {
        Path meta = dir.resolve("none.mgmeta");
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> MetadataFile.open(meta, VOLUME));
        assertEquals(ErrorCode.ENOENT, e.code());
        assertTrue(e.getMessage().startsWith(meta + ": no metadata file"), e.getMessage());
    }

    @Test
    void createRefusesAnExistingFileAndImpossibleGeometry() {
        Path meta = create();
        assertThrows(MirrorgateException.class, () -> MetadataFile.create(meta, "r0", "alpha", VOLUME, MIB));
        MirrorgateException e = assertThrows(MirrorgateException.class,
                () -> MetadataFile.create(dir.resolve("x"), "r0", "alpha", 1L << 50, 4096));
        assertTrue(e.getMessage().contains("use a larger region_size"), e.getMessage());
    }

    private static void corrupt(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x5a));
            b.rewind();
            ch.write(b, offset);
        }
    }

    private static void write(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
    }
}
