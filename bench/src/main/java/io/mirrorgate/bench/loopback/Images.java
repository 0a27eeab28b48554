package io.mirrorgate.bench.loopback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/** Image files for the benchmarks: on a real filesystem, fully allocated by writing them once. */
public final class Images {
    private static final Set<String> MEMORY_FILESYSTEMS = Set.of("tmpfs", "ramfs", "devtmpfs");
    private static final int CHUNK = 1 << 20;

    private Images() {}

    /** Fails when {@code dir} is on a memory filesystem: disk numbers must come from a disk. */
    public static void requireRealFilesystem(Path dir) throws IOException {
        Files.createDirectories(dir);
        String type = Files.getFileStore(dir).type().toLowerCase(Locale.ROOT);
        if (MEMORY_FILESYSTEMS.contains(type)) {
            throw new IOException(dir + " is on " + type
                    + " (expected: a disk filesystem; set -Dmirrorgate.bench.dir)");
        }
    }

    /**
     * Writes {@code size} bytes of seeded pseudo-random data into {@code image} (created or
     * truncated) and syncs it, so that later writes overwrite allocated blocks and never zeroes
     * (which the resync would send as write-zeroes).
     */
    public static void writeRandom(Path image, long size, long seed) throws IOException {
        if (size % CHUNK != 0) {
            throw new IOException("image size " + size + " (expected: a multiple of " + CHUNK + ")");
        }
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < size; pos += CHUNK) {
                fill(chunk, random);
                while (chunk.hasRemaining()) {
                    ch.write(chunk, pos + chunk.position());
                }
            }
            ch.force(true);
        }
    }

    /** Fills {@code buffer} (position 0 to its capacity) with random bytes, ready to read. */
    public static void fill(ByteBuffer buffer, SplittableRandom random) {
        buffer.clear();
        while (buffer.remaining() >= Long.BYTES) {
            buffer.putLong(random.nextLong());
        }
        while (buffer.hasRemaining()) {
            buffer.put((byte) random.nextInt());
        }
        buffer.flip();
    }

    /** Whether {@code image} exists with exactly {@code size} bytes. */
    public static boolean hasSize(Path image, long size) throws IOException {
        return Files.isRegularFile(image) && Files.size(image) == size;
    }
}
