package io.mirrorgate.server.device;

import static io.mirrorgate.server.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.protocol.ScatterPayload;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The ranges of a scattered write: their rules, their table on the wire, and the default write. */
class ScatterTest {
    @TempDir
    Path dir;

    @Test
    void rangesMustBeNonEmptyIncreasingAndDisjoint() {
        assertEquals(3, new Scatter(new long[] {0, 512, 4096}, new int[] {512, 512, 8192}).count());
        assertThrows(IllegalArgumentException.class, () -> new Scatter(new long[0], new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new Scatter(new long[] {0}, new int[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> new Scatter(new long[] {0}, new int[] {0}));
        assertThrows(IllegalArgumentException.class, () -> new Scatter(new long[] {-512}, new int[] {512}));
        assertThrows(IllegalArgumentException.class,
                () -> new Scatter(new long[] {512, 0}, new int[] {512, 512}));
        assertThrows(IllegalArgumentException.class,
                () -> new Scatter(new long[] {0, 511}, new int[] {512, 512}));
        assertThrows(IllegalArgumentException.class,
                () -> new Scatter(new long[Scatter.MAX_RANGES + 1], new int[Scatter.MAX_RANGES + 1]));
    }

    @Test
    void checkNamesWhatTheDeviceCannotTake() {
        MemoryBlockDevice device = new MemoryBlockDevice("d", 1 << 20, 512, false);
        Scatter two = new Scatter(new long[] {0, 4096}, new int[] {512, 1024});
        assertNull(two.check(device, 1536));
        assertEquals(ErrorCode.EINVAL, two.check(device, 1024).code());
        assertEquals(ErrorCode.EOVERFLOW, new Scatter(new long[] {1 << 20}, new int[] {512})
                .check(device, 512).code());
        assertEquals(ErrorCode.EINVAL, new Scatter(new long[] {100}, new int[] {512})
                .check(device, 512).code());
        assertEquals(ErrorCode.EROFS, two.check(new MemoryBlockDevice("ro", 1 << 20, 512, true), 1536)
                .code());
        assertNull(two.checkRead(new MemoryBlockDevice("ro", 1 << 20, 512, true)), "readable");
        assertEquals(ErrorCode.EOVERFLOW, new Scatter(new long[] {1 << 20}, new int[] {512})
                .checkRead(device).code());
    }

    @Test
    void theTableSurvivesTheWire() {
        Random random = new Random(1);
        for (int round = 0; round < 200; round++) {
            int count = 1 + random.nextInt(round < 100 ? 8 : Scatter.MAX_RANGES);
            long[] offsets = new long[count];
            int[] lengths = new int[count];
            long at = random.nextInt(1 << 20);
            for (int i = 0; i < count; i++) {
                offsets[i] = at;
                lengths[i] = 1 + random.nextInt(4096);
                at += lengths[i] + random.nextInt(3) * random.nextInt(1 << 16);
            }
            Scatter scatter = new Scatter(offsets, lengths);
            ByteBuf payload = ScatterPayload.table(scatter, ByteBufAllocator.DEFAULT);
            assertEquals(ScatterPayload.tableLength(count), payload.readableBytes());
            payload.writeZero((int) scatter.bytes());
            try {
                Scatter back = ScatterPayload.decode(payload);
                assertEquals(scatter.bytes(), payload.readableBytes(), "left at the data");
                assertEquals(count, back.count());
                for (int i = 0; i < count; i++) {
                    assertEquals(offsets[i], back.offset(i));
                    assertEquals(lengths[i], back.length(i));
                }
            } finally {
                payload.release();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aLocalFileWritesAndReadsEveryRange(boolean fua) throws Exception {
        Path image = dir.resolve("disk.img");
        Files.write(image, new byte[1 << 20]);
        // with fua=false the first range (a whole page) goes on the calling thread; from the
        // second (512 bytes: not whole pages) on, the pool writes them
        Scatter scatter = new Scatter(new long[] {0, 8192, 65536, (1 << 20) - 4096},
                new int[] {4096, 512, 32768, 4096});
        byte[] data = TestData.randomBytes(2, (int) scatter.bytes());
        try (LocalBlockDevice device = LocalBlockDevice.open(image, LocalDeviceOptions.defaults())) {
            assertEquals(1, device.maxScatteredRanges());
            ByteBuf buffer = Unpooled.wrappedBuffer(data);
            device.writeScattered(scatter, buffer, fua).get(10, TimeUnit.SECONDS);
            assertEquals(1, buffer.refCnt(), "not taken");
            buffer.release();
            assertArrayEquals(data, TestData.gather(Files.readAllBytes(image), scatter),
                    "every range holds its bytes");
            assertEquals(scatter.bytes(), device.stats().bytesWritten());
            ByteBuf gathered = device.readScattered(scatter).get(10, TimeUnit.SECONDS);
            try {
                assertArrayEquals(data, ByteBufUtil.getBytes(gathered), "read back together");
            } finally {
                gathered.release();
            }
            failure(device.readScattered(new Scatter(new long[] {0, 1 << 20}, new int[] {512, 512})),
                    ErrorCode.EOVERFLOW);
            ByteBuf two = Unpooled.wrappedBuffer(new byte[1024]);
            failure(device.writeScattered(new Scatter(new long[] {0, 1 << 20}, new int[] {512, 512}),
                    two, fua), ErrorCode.EOVERFLOW);
            two.release();
        }
    }

    @Test
    void theDefaultReadJoinsTheRangesInOrder() throws Exception {
        MemoryBlockDevice device = new MemoryBlockDevice("d", 1 << 20, 512, false);
        byte[] data = TestData.randomBytes(3, 1 << 20);
        device.write(0, Unpooled.wrappedBuffer(data), false).get(10, TimeUnit.SECONDS);
        Scatter scatter = new Scatter(new long[] {512, 4096, 65536}, new int[] {512, 1024, 2048});
        ByteBuf gathered = device.readScattered(scatter).get(10, TimeUnit.SECONDS);
        try {
            assertArrayEquals(TestData.gather(data, scatter), ByteBufUtil.getBytes(gathered));
        } finally {
            gathered.release();
        }
    }
}
