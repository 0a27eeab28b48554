package io.mirrorgate.replicator.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the replicator tests. */
public final class Fixtures {
    private Fixtures() {}

    /** Writes {@code length} random bytes from {@code seed} at {@code offset}, waiting. */
    public static void writeRandom(BlockDevice device, long offset, int length, long seed)
            throws Exception {
        ByteBuf data = Unpooled.wrappedBuffer(TestData.randomBytes(seed, length));
        try {
            device.write(offset, data, false).get(30, TimeUnit.SECONDS);
        } finally {
            data.release();
        }
    }

    /** Reads {@code length} bytes at {@code offset} into an array. */
    public static byte[] read(BlockDevice device, long offset, int length) throws Exception {
        ByteBuf buf = device.read(offset, length).get(30, TimeUnit.SECONDS);
        try {
            byte[] out = new byte[length];
            buf.getBytes(buf.readerIndex(), out);
            return out;
        } finally {
            buf.release();
        }
    }

    /** Polls {@code condition} every few milliseconds until it holds, failing after {@code max}. */
    public static void await(String what, Duration max, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + max + " waiting for: " + what);
            }
            Thread.sleep(2);
        }
    }
}
