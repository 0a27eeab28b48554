package io.mirrorgate.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A fully allocated image file for one benchmark fork, in a fresh directory under {@code
 * $MIRRORGATE_BENCH_DIR} (default: {@code java.io.tmpdir}), filled with a repeated random block so
 * that reads hit allocated, incompressible data; deleted with its directory on close.
 */
final class BenchImage implements AutoCloseable {
    /** Where the image directories go; {@code bench/run.sh} refuses a tmpfs here. */
    static final String DIR_ENV = "MIRRORGATE_BENCH_DIR";

    private final Path directory;
    private final Path file;

    private BenchImage(Path directory, Path file) {
        this.directory = directory;
        this.file = file;
    }

    /** Creates {@code size} bytes (a multiple of {@code fill.length}) of {@code fill}, synced. */
    static BenchImage create(long size, byte[] fill) throws IOException {
        if (size <= 0 || size % fill.length != 0) {
            throw new IllegalArgumentException("size: " + size + " (expected: a positive multiple of "
                    + fill.length + ")");
        }
        String parent = System.getenv(DIR_ENV);
        Path base = Paths.get(parent == null || parent.isEmpty()
                ? System.getProperty("java.io.tmpdir") : parent);
        Files.createDirectories(base);
        Path directory = Files.createTempDirectory(base, "mirrorgate-bench-");
        BenchImage image = new BenchImage(directory, directory.resolve("device.img"));
        try (FileChannel ch = FileChannel.open(image.file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocateDirect(fill.length).put(fill);
            for (long at = 0; at < size; at += fill.length) {
                block.clear();
                while (block.hasRemaining()) {
                    ch.write(block, at + block.position());
                }
            }
            ch.force(false);
        } catch (IOException | RuntimeException e) {
            image.deleteQuietlyInto(e);
            throw e;
        }
        return image;
    }

    Path file() {
        return file;
    }

    /** A directory beside the image for a server's files (exports, key, epochs), deleted with it. */
    Path stateDirectory() throws IOException {
        return Files.createDirectories(directory.resolve("state"));
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void deleteQuietlyInto(Exception failure) {
        try {
            close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
