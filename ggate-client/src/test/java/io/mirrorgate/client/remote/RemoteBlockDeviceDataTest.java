package io.mirrorgate.client.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class RemoteBlockDeviceDataTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path stateDir;
    RemoteFixture fixture;
    MemoryBlockDevice big;
    MemoryBlockDevice huge;

    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @BeforeEach
    void start() throws Exception {
        big = new MemoryBlockDevice("big", 256 * MIB, 4096, false);
        huge = new MemoryBlockDevice("huge", 8L << 30, 4096, false);
        fixture = new RemoteFixture(stateDir).export("/big", big, Access.RW).export("/huge", huge, Access.RW);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    /** Writes random blocks at random offsets through the remote device and into a local model. */
    private List<long[]> randomWrites(RemoteBlockDevice remote, MemoryBlockDevice model, long base,
            long span, int count, long seed, boolean compressible) throws Exception {
        Random random = new Random(seed);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        List<ByteBuf> buffers = new ArrayList<>();
        List<long[]> written = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int length = 4096 * (1 + random.nextInt(64));
            long offset = base + 4096L * (long) (random.nextDouble() * ((span - length) / 4096));
            byte[] data = compressible ? compressible(seed + i, length) : TestData.randomBytes(seed + i, length);
            ByteBuf buf = Unpooled.wrappedBuffer(data);
            buffers.add(buf);
            pending.add(remote.write(offset, buf, random.nextInt(8) == 0));
            model.write(offset, buf, false).get();
            written.add(new long[] {offset, length});
        }
        CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        buffers.forEach(ByteBuf::release);
        remote.flush().get(10, TimeUnit.SECONDS);
        return written;
    }

    private static byte[] compressible(long seed, int length) {
        byte[] out = new byte[length];
        byte[] word = ("block " + seed + " of compressible text; ").getBytes();
        for (int i = 0; i < length; i++) {
            out[i] = word[i % word.length];
        }
        return out;
    }

    private void readBackEquals(RemoteBlockDevice remote, MemoryBlockDevice model, List<long[]> ranges)
            throws Exception {
        for (long[] r : ranges) {
            ByteBuf got = remote.read(r[0], (int) r[1]).get(10, TimeUnit.SECONDS);
            ByteBuf want = model.read(r[0], (int) r[1]).get();
            try {
                assertArrayEquals(ByteBufUtil.getBytes(want), ByteBufUtil.getBytes(got), "at " + r[0]);
            } finally {
                got.release();
                want.release();
            }
        }
    }

    @Test
    void randomWritesOn256MibArriveAndTheChecksumMatchesTheModel() throws Exception {
        MemoryBlockDevice model = new MemoryBlockDevice("model", 256 * MIB, 4096, false);
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/big").queueDepth(16).build())) {
            assertEquals(256 * MIB, remote.size());
            assertEquals(4096, remote.blockSize());
            List<long[]> ranges = randomWrites(remote, model, 0, 256 * MIB, 300, 1, false);
            readBackEquals(remote, model, ranges.subList(0, 60));
            assertEquals(model.sha256(), big.sha256());
            RemoteDeviceStats stats = remote.stats();
            assertEquals(0, stats.failures());
            assertTrue(stats.bytesOut() >= stats.payloadBytesOut(), stats.toString());
        }
    }

    @Test
    void offsetsPastFourGibAreServedExactly() throws Exception {
        MemoryBlockDevice model = new MemoryBlockDevice("model", 8L << 30, 4096, false);
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/huge").build())) {
            List<long[]> ranges = randomWrites(remote, model, 4L << 30, 4L << 30, 40, 7, false);
            ByteBuf last = Unpooled.wrappedBuffer(TestData.randomBytes(99, 4096));
            remote.write((8L << 30) - 4096, last, true).get(10, TimeUnit.SECONDS);
            model.write((8L << 30) - 4096, last, false).get();
            last.release();
            ranges.add(new long[] {(8L << 30) - 4096, 4096});
            readBackEquals(remote, model, ranges);
            for (long[] r : ranges) {
                assertEquals(TestData.sha256(ByteBufUtil.getBytes(model.read(r[0], (int) r[1]).join())),
                        TestData.sha256(ByteBufUtil.getBytes(huge.read(r[0], (int) r[1]).join())));
            }
            remote.writeZeroes(5L << 30, 1L << 30, false).get(10, TimeUnit.SECONDS);
            model.writeZeroes(5L << 30, 1L << 30, false).get();
            remote.trim(0, 5L << 30).get(10, TimeUnit.SECONDS);
            model.trim(0, 5L << 30).get();
            readBackEquals(remote, model, ranges);
        }
    }

    @Test
    void lz4ShrinksCompressibleDataOnTheWireBothWays() throws Exception {
        MemoryBlockDevice model = new MemoryBlockDevice("model", 256 * MIB, 4096, false);
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/big").compression(true).build())) {
            assertTrue(remote.compressionNegotiated());
            List<long[]> ranges = randomWrites(remote, model, 0, 64 * MIB, 100, 3, true);
            RemoteDeviceStats afterWrites = remote.stats();
            assertTrue(afterWrites.bytesOut() * 4 < afterWrites.payloadBytesOut(), afterWrites.toString());
            readBackEquals(remote, model, ranges);
            RemoteDeviceStats afterReads = remote.stats();
            assertTrue(afterReads.bytesIn() * 4 < afterReads.payloadBytesIn(), afterReads.toString());
            assertEquals(model.sha256(), big.sha256());
        }
    }

    @Test
    void lz4LeavesRandomDataUncompressedAndIntact() throws Exception {
        MemoryBlockDevice model = new MemoryBlockDevice("model", 256 * MIB, 4096, false);
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/big").compression(true).build())) {
            List<long[]> ranges = randomWrites(remote, model, 0, 256 * MIB, 50, 5, false);
            RemoteDeviceStats s = remote.stats();
            assertTrue(s.bytesOut() >= s.payloadBytesOut(), s.toString());
            assertTrue(s.bytesOut() < s.payloadBytesOut() + 4096L * 200, s.toString());
            readBackEquals(remote, model, ranges);
            assertEquals(model.sha256(), big.sha256());
        }
    }

    @Test
    void withoutCompressionTheWireCarriesThePayloadAsIs() throws Exception {
        MemoryBlockDevice model = new MemoryBlockDevice("model", 256 * MIB, 4096, false);
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/big").build())) {
            assertTrue(!remote.compressionNegotiated());
            randomWrites(remote, model, 0, 64 * MIB, 30, 11, true);
            RemoteDeviceStats s = remote.stats();
            assertTrue(s.bytesOut() >= s.payloadBytesOut(), s.toString());
        }
    }
}
