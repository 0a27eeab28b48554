package io.mirrorgate.bench;

import io.mirrorgate.bench.loopback.Images;
import io.mirrorgate.bench.loopback.WriteTarget;
import io.mirrorgate.bench.loopback.WriteWindow;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * Write throughput of the fullsync mirror over loopback against the local device alone, in the
 * same run (replicator target: the mirror at least 85% of local for sequential 1 MiB writes).
 *
 * <p>{@code target=local}: a {@link io.mirrorgate.server.device.LocalBlockDevice} on its own
 * image. {@code target=mirror}: the {@link io.mirrorgate.replicator.mirror.MirrorDevice} of a
 * {@link io.mirrorgate.replicator.resource.ResourceRuntime} (fullsync, 4 MiB regions, persisted
 * bitmap) over a primary image and a standby image served by a ggate server on 127.0.0.1 through
 * a ggate client. All images are 1 GiB ({@code -Dmirrorgate.bench.imageMiB}), written once with
 * random data, in {@code -Dmirrorgate.bench.dir} (default /var/tmp/mirrorgate-bench; tmpfs is
 * refused). Both replicas share this machine's disk and CPUs.
 *
 * <p>Scores are writes per second: for {@code sequential1MiB} that is MiB/s; for {@code
 * random4KiB} IOPS (MiB/s = score / 256). {@code queueDepth} writes are kept in flight. With
 * {@code flush=true} every batch of 64 MiB ends with a flush (fdatasync of every replica), so the
 * score includes getting the data to the disk; without it, the writes end in page caches.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g",
        // the parent pom's mirrorgate.jvm.opens (chronicle-bytes on Java 17, DEPENDENCIES.md)
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class MirrorWriteBenchmark {
    static final int SEQUENTIAL_SIZE = 1 << 20;
    static final int SEQUENTIAL_BATCH = 64;
    static final int RANDOM_SIZE = 4096;
    static final int RANDOM_BATCH = 2048;

    static long imageSize() {
        return Long.getLong("mirrorgate.bench.imageMiB", 1024) << 20;
    }

    static ByteBuf randomBuffer(int size, long seed) {
        ByteBuf data = Unpooled.directBuffer(size, size);
        ByteBuffer nio = ByteBuffer.allocateDirect(size);
        Images.fill(nio, new SplittableRandom(seed));
        return data.writeBytes(nio);
    }

    /** Sequential 1 MiB writes, wrapping around the image. */
    @State(Scope.Benchmark)
    public static class Sequential {
        @Param({"local", "mirror"})
        public String target;
        @Param({"1", "16"})
        public int queueDepth;
        @Param({"false", "true"})
        public boolean flush;

        WriteTarget device;
        ByteBuf data;
        long size;
        long next;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            size = imageSize();
            device = WriteTarget.open(target, size);
            data = randomBuffer(SEQUENTIAL_SIZE, 42);
        }

        long nextOffset() {
            long offset = next;
            next = (next + SEQUENTIAL_SIZE) % size;
            return offset;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            try {
                device.close();
            } finally {
                data.release();
            }
        }
    }

    /** Random 4 KiB-aligned 4 KiB writes over the whole image. */
    @State(Scope.Benchmark)
    public static class Random {
        @Param({"local", "mirror"})
        public String target;
        @Param({"16"})
        public int queueDepth;

        WriteTarget device;
        ByteBuf data;
        SplittableRandom random;
        long blocks;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            long size = imageSize();
            device = WriteTarget.open(target, size);
            data = randomBuffer(RANDOM_SIZE, 43);
            random = new SplittableRandom(44);
            blocks = size / RANDOM_SIZE;
        }

        long nextOffset() {
            return random.nextLong(blocks) * RANDOM_SIZE;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            try {
                device.close();
            } finally {
                data.release();
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(SEQUENTIAL_BATCH)
    public void sequential1MiB(Sequential s) throws Exception {
        WriteWindow.write(s.device.device(), s.data, SEQUENTIAL_BATCH, s.queueDepth, s::nextOffset);
        if (s.flush) {
            s.device.device().flush().get(2, TimeUnit.MINUTES);
        }
    }

    @Benchmark
    @OperationsPerInvocation(RANDOM_BATCH)
    public void random4KiB(Random s) throws Exception {
        WriteWindow.write(s.device.device(), s.data, RANDOM_BATCH, s.queueDepth, s::nextOffset);
    }
}
