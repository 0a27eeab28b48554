package io.mirrorgate.server.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jnr.posix.POSIXFactory;

/**
 * Sparse images for allocation tests: a file of a given size whose data sits in evenly spread
 * runs of random bytes (one run of zeroes among them, written as data), the rest holes; and the
 * bytes a file really occupies ({@code st_blocks}).
 */
public final class SparseImages {
    private SparseImages() {}

    /**
     * Creates {@code file} of {@code size} bytes with {@code runs} runs of {@code runLength}
     * bytes of data, spread evenly (run {@code i} at {@code i * size / runs}); returns the file.
     */
    public static Path create(Path file, long size, int runs, int runLength) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size); // a hole to the end, unlike FileChannel.truncate
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (int i = 0; i < runs; i++) {
                long offset = runOffset(size, runs, i);
                ch.write(ByteBuffer.wrap(TestData.randomBytes(i, runLength)), offset);
            }
        }
        return file;
    }

    /** Where run {@code i} of {@link #create} starts (a multiple of 1 MiB). */
    public static long runOffset(long size, int runs, int i) {
        long step = size / runs;
        return i * step / (1 << 20) * (1 << 20);
    }

    /** The bytes {@code file} occupies on its filesystem. */
    public static long allocatedBytes(Path file) {
        return POSIXFactory.getNativePOSIX().stat(file.toString()).blocks() * 512;
    }
}
