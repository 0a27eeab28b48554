package io.mirrorgate.bench;

import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The four workloads every target runs, on a {@value #IMAGE_SIZE}-byte image: sequential 1 MiB
 * writes and reads (a cursor that wraps at the end of the image) and random 4 KiB writes and
 * reads (4 KiB-aligned offsets from a seeded generator), none with FUA.
 *
 * <p>One invocation issues {@value #REQUESTS_PER_INVOCATION} requests in rounds of {@code
 * queueDepth}: submit {@code queueDepth} requests, wait for all of them, repeat. With {@link
 * OperationsPerInvocation} JMH reports <b>requests per second</b>: for the 1 MiB workloads that
 * is MiB/s, for the 4 KiB ones IOPS (times 4096 for bytes/s).
 *
 * <p>Subclasses open the target in {@link #openTarget}, registering what they open with {@link
 * #own} (closed in reverse order at tear-down, or when the open fails half way), and issue one
 * round in {@link #writeRound}/{@link #readRound}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(DeviceWorkload.REQUESTS_PER_INVOCATION)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public abstract class DeviceWorkload {
    static final long IMAGE_SIZE = 1L << 30;
    static final int SEQ_SIZE = 1 << 20;
    static final int RANDOM_SIZE = 4096;
    static final int REQUESTS_PER_INVOCATION = 16;
    /** How long one round may take before the benchmark fails instead of hanging. */
    static final long ROUND_TIMEOUT_SECONDS = 60;

    /** Requests in flight at once; must divide {@value #REQUESTS_PER_INVOCATION}. */
    @Param({"1", "16"})
    public int queueDepth;

    /**
     * Whether the image is opened with {@code O_DIRECT}; every target's local device (the
     * baseline's, and the one ggate-server and the NBD server export) is opened the same way.
     * {@code true} is the headline comparison: the disk as an operator's server runs it.
     * {@code false} measures the page cache (memory-copy speed), printed for reference; pick
     * one with {@code -p directIo=true}.
     */
    @Param({"true", "false"})
    public boolean directIo;

    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    private final long[] offsets = new long[REQUESTS_PER_INVOCATION];
    private final SplittableRandom random = new SplittableRandom(20261121L);
    private long cursor;

    @Setup
    public void setUp() throws Exception {
        if (queueDepth < 1 || REQUESTS_PER_INVOCATION % queueDepth != 0) {
            throw new IllegalArgumentException("queueDepth: " + queueDepth
                    + " (expected: a divisor of " + REQUESTS_PER_INVOCATION + ")");
        }
        try {
            openTarget(own(BenchImage.create(IMAGE_SIZE, pattern())));
        } catch (Exception | Error e) {
            closeOwned(e);
            throw e;
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        closeOwned(null);
    }

    @Benchmark
    public void seqWrite() throws Exception {
        for (int i = 0; i < REQUESTS_PER_INVOCATION; i += queueDepth) {
            writeRound(nextSequential(), queueDepth, SEQ_SIZE);
        }
    }

    @Benchmark
    public void seqRead() throws Exception {
        for (int i = 0; i < REQUESTS_PER_INVOCATION; i += queueDepth) {
            readRound(nextSequential(), queueDepth, SEQ_SIZE);
        }
    }

    @Benchmark
    public void randWrite() throws Exception {
        for (int i = 0; i < REQUESTS_PER_INVOCATION; i += queueDepth) {
            writeRound(nextRandom(), queueDepth, RANDOM_SIZE);
        }
    }

    @Benchmark
    public void randRead() throws Exception {
        for (int i = 0; i < REQUESTS_PER_INVOCATION; i += queueDepth) {
            readRound(nextRandom(), queueDepth, RANDOM_SIZE);
        }
    }

    /** 1 MiB of seeded random bytes: the image's fill and every write's payload (a prefix of it). */
    static byte[] pattern() {
        byte[] data = new byte[SEQ_SIZE];
        new Random(4242L).nextBytes(data);
        return data;
    }

    /** Opens the device (and whatever serves it) on the image file. */
    protected abstract void openTarget(BenchImage image) throws Exception;

    /** Writes {@code length} bytes at each of the first {@code count} offsets, all in flight. */
    protected abstract void writeRound(long[] offsets, int count, int length) throws Exception;

    /** Reads {@code length} bytes at each of the first {@code count} offsets, all in flight. */
    protected abstract void readRound(long[] offsets, int count, int length) throws Exception;

    /** The local device on the image (default options, {@link #directIo} as set), owned. */
    protected final LocalBlockDevice openLocal(BenchImage image) {
        return own(LocalBlockDevice.open(image.file(),
                LocalDeviceOptions.defaults().withDirectIo(directIo)));
    }

    /** Registers {@code resource} to be closed at tear-down, after those registered later. */
    protected final <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
    }

    private long[] nextSequential() {
        for (int i = 0; i < queueDepth; i++) {
            offsets[i] = cursor;
            cursor = (cursor + SEQ_SIZE) % IMAGE_SIZE;
        }
        return offsets;
    }

    private long[] nextRandom() {
        for (int i = 0; i < queueDepth; i++) {
            offsets[i] = random.nextLong(IMAGE_SIZE / RANDOM_SIZE) * RANDOM_SIZE;
        }
        return offsets;
    }

    private void closeOwned(Throwable pending) throws Exception {
        Exception failure = null;
        while (!owned.isEmpty()) {
            try {
                owned.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            if (pending == null) {
                throw failure;
            }
            pending.addSuppressed(failure);
        }
    }
}
