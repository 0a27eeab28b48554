package io.mirrorgate.replicator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/** Small helpers shared by the replicator tests. */
public final class Fixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /**
     * Asserts that two files have the same length and bytes (faster than comparing checksums of
     * large images); names the first MiB that differs.
     */
    public static void assertSameContent(Path a, Path b) throws IOException {
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.READ);
                FileChannel cb = FileChannel.open(b, StandardOpenOption.READ)) {
            assertEquals(ca.size(), cb.size(), "sizes of " + a + " and " + b);
            ByteBuffer ba = ByteBuffer.allocate(1 << 20);
            ByteBuffer bb = ByteBuffer.allocate(1 << 20);
            for (long pos = 0; pos < ca.size(); pos += ba.capacity()) {
                readFully(ca, ba, pos);
                readFully(cb, bb, pos);
                if (!ba.equals(bb)) {
                    fail(a + " and " + b + " differ in the MiB at offset " + pos);
                }
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        buf.clear();
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
                break;
            }
        }
        buf.flip();
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

    /** A value read with I/O (a status, a log). */
    @FunctionalInterface
    public interface IoSupplier<T> {
        T get() throws IOException;
    }

    /**
     * Polls {@code status} every 50 ms until {@code condition} holds and returns that status; after
     * {@code max} fails with the last status and {@code context} (a log, to tell why).
     */
    public static JsonNode awaitStatus(String what, Duration max, IoSupplier<JsonNode> status,
            Predicate<JsonNode> condition, IoSupplier<String> context) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            JsonNode s = status.get();
            if (condition.test(s)) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                fail("timed out after " + max + " waiting for " + what + "; last status: " + s + "\n"
                        + context.get());
            }
            Thread.sleep(50);
        }
    }

    /**
     * {@code replicator -c config status RESOURCE --json} in this JVM: the resource's object. Exit 78
     * (split brain) is a status too when {@code splitBrainIsStatus}; any other failure fails the test.
     */
    public static JsonNode resourceStatus(Path config, String resource, boolean splitBrainIsStatus)
            throws IOException {
        MirrorPair.CliResult r = MirrorPair.cli(config, "status", resource, "--json");
        if (r.exitCode() != ExitCodes.OK && !(splitBrainIsStatus && r.exitCode() == 78)) {
            fail("replicator status exited " + r.exitCode() + ": " + r.err() + r.out());
        }
        JsonNode node = JSON.readTree(r.out());
        return node.isArray() ? node.get(0) : node;
    }
}
