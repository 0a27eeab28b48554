package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.DeviceTestSupport.readBytes;
import static io.mirrorgate.server.device.DeviceTestSupport.writeBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LocalBlockDevice#readNow} and {@link LocalBlockDevice#writeNow}: page-cache I/O on the
 * caller's thread, the same bytes as through the pool.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalBlockDeviceNowTest {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void aCachedRangeIsReadAtOnceWithTheBytesReadGives() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 16L * MIB);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            for (int i = 0; i < 64; i++) {
                int length = 4096 * (1 + i % 32);
                long offset = (long) (i * 37 % 3000) * 4096;
                byte[] data = TestData.randomBytes(i, length);
                writeBytes(device, offset, data, false, false);
                ByteBuf now = device.readNow(offset, length);
                // just written through the page cache: there to be read without waiting
                assertNotNull(now, "offset " + offset + " length " + length);
                try {
                    assertEquals(length, now.readableBytes());
                    assertArrayEquals(data, ByteBufUtil.getBytes(now));
                    assertArrayEquals(readBytes(device, offset, length), ByteBufUtil.getBytes(now));
                } finally {
                    now.release();
                }
            }
            assertEquals(64 * 2L, device.stats().reads(), "both kinds of read are counted");
        }
    }

    @Test
    void wholePagesAreWrittenAtOnceAndReadBackByEitherPath() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 16L * MIB);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            for (int i = 0; i < 64; i++) {
                int length = 4096 * (1 + i % 16);
                long offset = (long) (i * 53 % 3000) * 4096;
                byte[] data = TestData.randomBytes(100 + i, length);
                ByteBuf buf = Unpooled.directBuffer(length).writeBytes(data);
                try {
                    CompletableFuture<Void> now = device.writeNow(offset, buf);
                    assertNotNull(now, "whole pages: written on the caller's thread");
                    assertTrue(now.isDone() && !now.isCompletedExceptionally());
                } finally {
                    buf.release();
                }
                assertArrayEquals(data, readBytes(device, offset, length));
            }
            assertEquals(64, device.stats().writes());
        }
    }

    @Test
    void partialPagesFuaAndODirectWritesGoThroughThePool() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4L * MIB);
        ByteBuf half = Unpooled.directBuffer(2048).writeZero(2048);
        ByteBuf page = Unpooled.directBuffer(4096).writeZero(4096);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            assertNull(device.writeNow(0, half), "half a page: the kernel might read it first");
            assertNull(device.writeNow(512, page), "not on a page boundary");
            assertNull(device.writeNow(4L * MIB, page), "past the end");
        }
        try (LocalBlockDevice direct = LocalBlockDevice.open(image,
                LocalDeviceOptions.defaults().withDirectIo(true))) {
            assertNull(direct.writeNow(0, page));
        }
        try (LocalBlockDevice readOnly = LocalBlockDevice.open(image,
                LocalDeviceOptions.defaults().withReadOnly(true))) {
            assertNull(readOnly.writeNow(0, page));
        } finally {
            half.release();
            page.release();
        }
    }

    @Test
    void whatReadWouldRefuseIsNotReadAtOnce() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4L * MIB);
        LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults());
        try {
            assertNull(device.readNow(4L * MIB - 4096, 8192), "past the end");
            assertNull(device.readNow(-4096, 4096), "negative offset");
        } finally {
            device.close();
        }
        assertNull(device.readNow(0, 4096), "closed");
    }

    @Test
    void anODirectDeviceAlwaysGoesThroughItsPool() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4L * MIB);
        LocalDeviceOptions direct = LocalDeviceOptions.defaults().withDirectIo(true);
        try (LocalBlockDevice device = LocalBlockDevice.open(image, direct)) {
            writeBytes(device, 0, TestData.randomBytes(1, 4096), false, false);
            assertNull(device.readNow(0, 4096));
        }
    }

    @Test
    void readersRacingACloseGetTheirBytesOrNothingAndTheDescriptorOutlivesThem() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.img"), 4L * MIB);
        byte[] data = TestData.randomBytes(7, MIB);
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 20; round++) {
                LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults());
                writeBytes(device, MIB, data, false, false);
                CountDownLatch started = new CountDownLatch(4);
                AtomicBoolean stop = new AtomicBoolean();
                List<Future<Integer>> results = new ArrayList<>();
                for (int r = 0; r < 4; r++) {
                    results.add(readers.submit(() -> {
                        started.countDown();
                        int served = 0;
                        for (int i = 0; i < 100_000 && !stop.get(); i++) {
                            ByteBuf now = device.readNow(MIB + (i % 256) * 4096L, 4096);
                            if (now == null) {
                                continue;
                            }
                            try {
                                int at = (i % 256) * 4096;
                                byte[] got = ByteBufUtil.getBytes(now);
                                for (int b = 0; b < 4096; b++) {
                                    if (got[b] != data[at + b]) {
                                        throw new AssertionError("wrong byte at " + (at + b));
                                    }
                                }
                                served++;
                            } finally {
                                now.release();
                            }
                        }
                        return served;
                    }));
                }
                started.await();
                device.close();
                stop.set(true);
                for (Future<Integer> result : results) {
                    result.get(30, TimeUnit.SECONDS);
                }
            }
        } finally {
            readers.shutdownNow();
        }
    }
}
