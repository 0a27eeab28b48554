package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.DeviceTestSupport.allocatedBlocks;
import static io.mirrorgate.server.device.DeviceTestSupport.readBytes;
import static io.mirrorgate.server.device.DeviceTestSupport.writeBytes;
import static io.mirrorgate.server.testing.Futures.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Data through a local device on sparse image files: what is written is what is read. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LocalBlockDeviceTest {
    private static final long MIB = 1024 * 1024;
    private static final long GIB = 1024 * MIB;

    @TempDir
    Path dir;

    @Test
    void randomWritesMakeTheImageEqualToTheModel() throws Exception {
        long size = 256 * MIB;
        Path image = TestData.sparseFile(dir.resolve("disk.img"), size);
        MemoryBlockDevice model = new MemoryBlockDevice("model", size, 512, false);
        Random random = new Random(42);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            assertEquals(size, device.size());
            assertEquals(512, device.blockSize());
            assertFalse(device.isBlockDevice());
            for (int i = 0; i < 300; i++) {
                int length = (1 + random.nextInt(256)) * 512;
                long offset = random.nextInt((int) ((size - length) / 512)) * 512L;
                byte[] data = TestData.randomBytes(i, length);
                writeBytes(device, offset, data, i % 2 == 0, i % 50 == 0);
                writeBytes(model, offset, data, false, false);
            }
            assertArrayEquals(readBytes(model, 0, 4 * (int) MIB), readBytes(device, 0, 4 * (int) MIB));
            await(device.flush());
        }
        assertEquals(model.sha256(), TestData.sha256(image));
    }

    @Test
    void writesPastFourGibLandAtTheirOffsetsInAFiveGibSparseImage() throws Exception {
        long size = 5 * GIB;
        Path image = TestData.sparseFile(dir.resolve("big.img"), size);
        Random random = new Random(7);
        List<long[]> extents = new ArrayList<>();
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            assertEquals(size, device.size());
            for (int i = 0; i < 120; i++) {
                int length = (1 + random.nextInt(128)) * 4096;
                long low = i % 3 == 0 ? 0 : 4 * GIB;
                long offset = low + (long) (random.nextDouble() * (size - low - length)) / 4096 * 4096;
                writeBytes(device, offset, TestData.randomBytes(1000 + i, length), i % 2 == 1, false);
                extents.add(new long[] {offset, length, 1000 + i});
            }
            // later writes win where extents overlap: check each against what was last written
            for (int i = 0; i < extents.size(); i++) {
                long[] e = extents.get(i);
                byte[] expected = expectedContent(extents, i);
                assertArrayEquals(expected, readBytes(device, e[0], (int) e[1]),
                        "extent at offset " + e[0]);
                assertEquals(TestData.sha256(expected), TestData.sha256(image, e[0], (int) e[1]));
            }
            assertTrue(extents.stream().filter(e -> e[0] >= 4 * GIB).count() >= 60);
            byte[] tail = readBytes(device, size - 4096, 4096);
            assertEquals(4096, tail.length);
        }
        assertTrue(allocatedBlocks(image) * 512 < 200 * MIB, "image stays sparse");
    }

    /** Content of extent {@code i} after all writes, overlaid by later overlapping extents. */
    private static byte[] expectedContent(List<long[]> extents, int i) {
        long[] e = extents.get(i);
        byte[] out = TestData.randomBytes(e[2], (int) e[1]);
        for (int j = i + 1; j < extents.size(); j++) {
            long[] later = extents.get(j);
            long from = Math.max(e[0], later[0]);
            long to = Math.min(e[0] + e[1], later[0] + later[1]);
            if (from < to) {
                byte[] laterData = TestData.randomBytes(later[2], (int) later[1]);
                System.arraycopy(laterData, (int) (from - later[0]), out, (int) (from - e[0]),
                        (int) (to - from));
            }
        }
        return out;
    }

    @Test
    void fuaWritesAndFlushReachTheFileAndAreCounted() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 16 * MIB);
        byte[] first = TestData.randomBytes(1, 64 * 1024);
        byte[] second = TestData.randomBytes(2, 8192);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            writeBytes(device, 1 * MIB, first, true, true);
            writeBytes(device, 3 * MIB, second, false, false);
            await(device.flush());
            assertEquals(TestData.sha256(first), TestData.sha256(image, MIB, first.length));
            assertEquals(TestData.sha256(second), TestData.sha256(image, 3 * MIB, second.length));
            readBytes(device, 0, 4096);
            DeviceStats stats = device.stats();
            assertEquals(2, stats.writes());
            assertEquals(first.length + second.length, stats.bytesWritten());
            assertEquals(1, stats.flushes());
            assertEquals(1, stats.reads());
            assertEquals(4096, stats.bytesRead());
            assertEquals(0, stats.errors());
        }
    }

    @Test
    void trimPunchesAHoleThatReadsBackAsZeroes() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 64 * MIB);
        int length = 8 * (int) MIB;
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            assertTrue(device.supportsTrim());
            writeBytes(device, 0, TestData.randomBytes(3, 2 * length), false, true);
            long before = allocatedBlocks(image);
            assertTrue(before * 512 >= 2L * length, "written data is allocated: " + before);
            await(device.trim(length, length));
            long after = allocatedBlocks(image);
            assertTrue((before - after) * 512 >= length,
                    "allocated blocks shrink by the trimmed range: before=" + before
                            + " after=" + after);
            assertArrayEquals(new byte[length], readBytes(device, length, length));
            assertArrayEquals(java.util.Arrays.copyOf(TestData.randomBytes(3, 2 * length), length),
                    readBytes(device, 0, length), "data before the hole is kept");
            assertEquals(1, device.stats().trims());
        }
        assertEquals(64 * MIB, image.toFile().length(), "trim keeps the file size");
    }

    @Test
    void writeZeroesZeroesOnlyItsRange() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 32 * MIB);
        byte[] data = TestData.randomBytes(4, 3 * (int) MIB);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            writeBytes(device, 0, data, true, false);
            await(device.writeZeroes(MIB, MIB, true));
            byte[] expected = data.clone();
            java.util.Arrays.fill(expected, (int) MIB, 2 * (int) MIB, (byte) 0);
            assertArrayEquals(expected, readBytes(device, 0, data.length));
            assertEquals(TestData.sha256(expected), TestData.sha256(image, 0, data.length));
        }
    }

    @Test
    void zeroBufferFallbackWritesZeroesInChunks() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 8 * MIB);
        byte[] data = TestData.randomBytes(5, 8 * (int) MIB);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            writeBytes(device, 0, data, false, false);
        }
        DeviceFile file = DeviceFile.open(image, LocalDeviceOptions.defaults());
        try {
            file.writeZeroesByWriting(512, 3 * DeviceFile.ZERO_CHUNK + 1024);
            file.fdatasync();
        } finally {
            file.close();
        }
        byte[] expected = data.clone();
        java.util.Arrays.fill(expected, 512, 512 + 3 * DeviceFile.ZERO_CHUNK + 1024, (byte) 0);
        assertEquals(TestData.sha256(expected), TestData.sha256(image));
    }

    @Test
    void concurrentRequestsFromManyThreadsAreAllCorrect() throws Exception {
        long size = 64 * MIB;
        Path image = TestData.sparseFile(dir.resolve("disk.img"), size);
        int threads = 16;
        int perThread = 40;
        int block = 16 * 1024;
        LocalDeviceOptions options = LocalDeviceOptions.defaults().withIoThreads(4);
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, options)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(callers.submit(() -> {
                    List<CompletableFuture<Void>> writes = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        long offset = ((long) i * threads + thread) * block;
                        io.netty.buffer.ByteBuf buf = io.netty.buffer.Unpooled.wrappedBuffer(
                                TestData.randomBytes(offset, block));
                        writes.add(device.write(offset, buf, false)
                                .whenComplete((v, e) -> buf.release()));
                    }
                    writes.forEach(io.mirrorgate.server.testing.Futures::await);
                    for (int i = 0; i < perThread; i++) {
                        long offset = ((long) i * threads + thread) * block;
                        assertArrayEquals(TestData.randomBytes(offset, block),
                                readBytes(device, offset, block), "block at " + offset);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            DeviceStats stats = device.stats();
            assertEquals(threads * perThread, stats.writes());
            assertEquals(threads * perThread, stats.reads());
            assertEquals(0, stats.errors() + stats.rejected());
        } finally {
            callers.shutdownNow();
        }
    }
}
