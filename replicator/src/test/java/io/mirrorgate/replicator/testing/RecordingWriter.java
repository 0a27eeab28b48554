package io.mirrorgate.replicator.testing;

import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A writer thread for crash tests: writes random data (4 KiB .. 64 KiB, some with FUA) through
 * an {@link NbdClient}, one request at a time, at offsets it is given, and records per 4 KiB
 * block the SHA-256 of the last write that was acknowledged, plus the one write in flight. It
 * stops after {@code maxWrites}, after {@code maxTime}, on {@link #stop()}, or at the first
 * failure (the server killed: expected by the tests that kill it). {@link #mismatches} then
 * checks an image file against what was acknowledged.
 */
public final class RecordingWriter implements AutoCloseable {
    public static final int BLOCK = 4096;
    private static final int MAX_BLOCKS = 16;

    private final NbdClient nbd;
    private final OffsetSource offsets;
    private final long seed;
    private final int maxWrites;
    private final long deadlineNanos;
    private final Map<Long, String> acked = new ConcurrentHashMap<>();
    private volatile Map<Long, String> inFlight = Map.of();
    private final AtomicLong writes = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopRequested;
    private volatile Exception failure;

    /** Where the next write goes: a block-aligned offset for {@code length} bytes. */
    @FunctionalInterface
    public interface OffsetSource {
        long next(Random random, int length);
    }

    private RecordingWriter(NbdClient nbd, OffsetSource offsets, long seed, int maxWrites,
            Duration maxTime) {
        this.nbd = nbd;
        this.offsets = offsets;
        this.seed = seed;
        this.maxWrites = maxWrites;
        this.deadlineNanos = System.nanoTime() + maxTime.toNanos();
        this.thread = new Thread(this::run, "recording-writer-" + seed);
        this.thread.setDaemon(true);
    }

    /** Starts writing in a new thread. */
    public static RecordingWriter start(NbdClient nbd, OffsetSource offsets, long seed,
            int maxWrites, Duration maxTime) {
        RecordingWriter w = new RecordingWriter(nbd, offsets, seed, maxWrites, maxTime);
        w.thread.start();
        return w;
    }

    /** Offsets anywhere in a volume of {@code size} bytes. */
    public static OffsetSource anywhere(long size) {
        return (random, length) -> (long) random.nextInt((int) ((size - length) / BLOCK)) * BLOCK;
    }

    /** Offsets inside the regions {@code regions} (of {@code regionSize} bytes each). */
    public static OffsetSource inRegions(List<Long> regions, long regionSize) {
        return (random, length) -> regions.get(random.nextInt(regions.size())) * regionSize
                + (long) random.nextInt((int) ((regionSize - length) / BLOCK)) * BLOCK;
    }

    private void run() {
        Random random = new Random(seed);
        try {
            for (int i = 0; i < maxWrites && !stopRequested && System.nanoTime() < deadlineNanos; i++) {
                int length = BLOCK * (1 + random.nextInt(MAX_BLOCKS));
                long offset = offsets.next(random, length);
                byte[] data = TestData.randomBytes(seed * 1_000_003L + i, length);
                Map<Long, String> blocks = blockSums(offset, data);
                inFlight = blocks;
                nbd.write(offset, data, random.nextInt(8) == 0);
                acked.putAll(blocks);
                inFlight = Map.of();
                writes.incrementAndGet();
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
    }

    private static Map<Long, String> blockSums(long offset, byte[] data) {
        Map<Long, String> out = new HashMap<>();
        for (int pos = 0; pos < data.length; pos += BLOCK) {
            byte[] block = new byte[BLOCK];
            System.arraycopy(data, pos, block, 0, BLOCK);
            out.put((offset + pos) / BLOCK, TestData.sha256(block));
        }
        return out;
    }

    /** Acknowledged writes so far. */
    public long writes() {
        return writes.get();
    }

    /** Asks the thread to stop after its current write. */
    public void stop() {
        stopRequested = true;
    }

    /** Waits for the thread to end (at most {@code max}); false if it still runs. */
    public boolean join(Duration max) throws InterruptedException {
        thread.join(max.toMillis());
        return !thread.isAlive();
    }

    /** What ended the writing, or null (stopped, or its bounds reached). */
    public Exception failure() {
        return failure;
    }

    /** Blocks written by acknowledged writes. */
    public int blocks() {
        return acked.size();
    }

    /** The 4 KiB blocks (offset / 4096) that acknowledged writes touched. */
    public SortedSet<Long> blocksWritten() {
        return new TreeSet<>(acked.keySet());
    }

    /** The regions of {@code regionSize} bytes that acknowledged writes touched. */
    public SortedSet<Long> regionsWritten(long regionSize) {
        SortedSet<Long> out = new TreeSet<>();
        for (long block : acked.keySet()) {
            out.add(block * BLOCK / regionSize);
        }
        return out;
    }

    /**
     * The blocks of {@code image} that do not hold what the last acknowledged write there wrote;
     * a block of the write that was in flight may hold either. Call after the thread ended.
     */
    public List<String> mismatches(Path image) throws IOException {
        List<String> out = new ArrayList<>();
        Map<Long, String> pending = inFlight;
        ByteBuffer buf = ByteBuffer.allocate(BLOCK);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (Map.Entry<Long, String> e : acked.entrySet()) {
                buf.clear();
                long offset = e.getKey() * BLOCK;
                while (buf.hasRemaining()) {
                    if (ch.read(buf, offset + buf.position()) < 0) {
                        break;
                    }
                }
                String actual = TestData.sha256(buf.array());
                if (!actual.equals(e.getValue()) && !actual.equals(pending.get(e.getKey()))) {
                    out.add("block at offset " + offset);
                }
            }
        }
        return out;
    }

    /** Stops the thread and waits for it. */
    @Override
    public void close() throws InterruptedException {
        stop();
        join(Duration.ofSeconds(30));
    }
}
