package io.mirrorgate.client.remote;

import static io.mirrorgate.server.testing.Futures.await;
import static io.mirrorgate.server.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.device.Scatter;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scattered writes over ggate, negotiated as FEATURE_SCATTER: many small ranges go as one
 * request and land in the server's file; to an older server, or when they do not fit in one
 * request, they go one write per range, with the same result.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteBlockDeviceScatterTest {
    private static final long SIZE = 64L << 20;
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;
    private RemoteFixture fixture;
    private Path image;

    @AfterEach
    void close() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private RemoteBlockDevice attach(int serverFeatures, Access access) throws Exception {
        image = dir.resolve("disk.img");
        try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        Files.createDirectories(dir.resolve("state"));
        fixture = new RemoteFixture(dir.resolve("state"), serverFeatures);
        fixture.export("/disk", LocalBlockDevice.open(image, LocalDeviceOptions.defaults()), Access.RW);
        return fixture.connect(fixture.options("/disk").access(access).build());
    }

    /** {@code count} distinct random 4 KiB blocks, in order. */
    private static Scatter randomBlocks(int count, long seed) {
        Random random = new Random(seed);
        TreeSet<Long> blocks = new TreeSet<>();
        while (blocks.size() < count) {
            blocks.add((long) random.nextInt((int) (SIZE / BLOCK)));
        }
        long[] offsets = blocks.stream().mapToLong(b -> b * BLOCK).toArray();
        int[] lengths = new int[count];
        Arrays.fill(lengths, BLOCK);
        return new Scatter(offsets, lengths);
    }

    /** Writes {@code scatter} with random data; checks the server's file holds it; returns the requests sent. */
    private long writeAndCheck(RemoteBlockDevice device, Scatter scatter, long seed) throws Exception {
        byte[] data = TestData.randomBytes(seed, (int) scatter.bytes());
        long before = device.stats().requests();
        ByteBuf buffer = Unpooled.wrappedBuffer(data);
        await(device.writeScattered(scatter, buffer, true));
        assertEquals(1, buffer.refCnt(), "the caller's buffer is still the caller's");
        buffer.release();
        long requests = device.stats().requests() - before;
        assertArrayEquals(data, TestData.gather(Files.readAllBytes(image), scatter),
                "every range holds its bytes");
        return requests;
    }

    @Test
    void manyRangesGoAsOneRequest() throws Exception {
        RemoteBlockDevice device = attach(GgateProtocol.SUPPORTED_FEATURES, Access.RW);
        assertTrue(device.scatterSupported());
        assertEquals(Scatter.MAX_RANGES, device.maxScatteredRanges());
        assertEquals(1, writeAndCheck(device, randomBlocks(300, 1), 2));
        assertEquals(1, writeAndCheck(device, randomBlocks(Scatter.MAX_RANGES, 3), 4));
    }

    @Test
    void anOlderServerGetsOneWritePerRange() throws Exception {
        RemoteBlockDevice device = attach(GgateProtocol.FEATURE_LZ4 | GgateProtocol.FEATURE_PEER
                | GgateProtocol.FEATURE_ALLOCATION, Access.RW);
        assertFalse(device.scatterSupported());
        assertEquals(1, device.maxScatteredRanges());
        assertEquals(40, writeAndCheck(device, randomBlocks(40, 5), 6));
    }

    @Test
    void rangesTooLargeForOneRequestGoOneByOne() throws Exception {
        RemoteBlockDevice device = attach(GgateProtocol.SUPPORTED_FEATURES, Access.RW);
        int half = 16 << 20;
        Scatter big = new Scatter(new long[] {0, 32L << 20}, new int[] {half, half});
        assertEquals(2, writeAndCheck(device, big, 7), "table and data exceed the 32 MiB request");
    }

    @Test
    void rangesTheDeviceCannotTakeFailBeforeAnythingIsSent() throws Exception {
        RemoteBlockDevice device = attach(GgateProtocol.SUPPORTED_FEATURES, Access.RW);
        long before = device.stats().requests();
        ByteBuf data = Unpooled.wrappedBuffer(new byte[2 * BLOCK]);
        failure(device.writeScattered(new Scatter(new long[] {0, SIZE}, new int[] {BLOCK, BLOCK}),
                data, false), ErrorCode.EOVERFLOW);
        failure(device.writeScattered(new Scatter(new long[] {0, 9000}, new int[] {BLOCK, BLOCK}),
                data, false), ErrorCode.EINVAL);
        failure(device.writeScattered(new Scatter(new long[] {0}, new int[] {BLOCK}), data, false),
                ErrorCode.EINVAL);
        assertEquals(before, device.stats().requests());
        assertEquals(1, data.refCnt());
        data.release();
        device.close();

        RemoteBlockDevice readOnly = fixture.connect(fixture.options("/disk").access(Access.RO).build());
        ByteBuf block = Unpooled.wrappedBuffer(new byte[BLOCK]);
        failure(readOnly.writeScattered(new Scatter(new long[] {0}, new int[] {BLOCK}), block, false),
                ErrorCode.EROFS);
        block.release();
    }
}
