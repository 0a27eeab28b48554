package io.mirrorgate.replicator.testing;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.Scatter;
import io.mirrorgate.server.testing.ForwardingDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * A decorator for tests: reads of a chosen range fail (a bad sector), and writes can be delayed
 * so that they complete later on another thread, as a remote device's do. The delayed write
 * copies nothing: it applies the caller's buffer when the delay expires, which is legal because
 * the caller keeps it until the future completes.
 */
public final class ControllableBlockDevice extends ForwardingDevice {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "controllable-device");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger writesInFlight = new AtomicInteger();
    private final AtomicInteger maxWritesInFlight = new AtomicInteger();
    private final AtomicInteger dataWrites = new AtomicInteger();
    private final AtomicInteger zeroWrites = new AtomicInteger();
    private final AtomicInteger scatteredWrites = new AtomicInteger();
    private volatile int maxScatteredRanges = 1;
    private volatile long badOffset = -1;
    private volatile long badLength;
    private volatile long writeDelayMicros;
    private volatile LongConsumer afterRead = offset -> { };
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;
    private CompletableFuture<Void> flushGate = CompletableFuture.completedFuture(null);

    public ControllableBlockDevice(BlockDevice inner) {
        super(inner);
    }

    /** Reads overlapping {@code [offset, offset + length)} fail with EIO; -1 heals. */
    public void failReads(long offset, long length) {
        this.badLength = length;
        this.badOffset = offset;
    }

    /**
     * Each write completes after a random delay of up to {@code micros} on the timer thread, so
     * writes may complete out of order, as a remote device's replies do; 0 = inline.
     */
    public void delayWrites(long micros) {
        this.writeDelayMicros = micros;
    }

    /** Write requests that carried data. */
    public int dataWrites() {
        return dataWrites.get();
    }

    /** Write-zeroes requests (trims included, when the caller sends them so). */
    public int zeroWrites() {
        return zeroWrites.get();
    }

    /**
     * Takes scattered writes of up to {@code maxRanges} ranges (as a ggate peer does), counting
     * them; their ranges are then written one by one through {@link #write}. 1, the default:
     * the device says it takes none.
     */
    public void acceptScattered(int maxRanges) {
        this.maxScatteredRanges = maxRanges;
    }

    /** Scattered writes received. */
    public int scatteredWrites() {
        return scatteredWrites.get();
    }

    @Override
    public int maxScatteredRanges() {
        return maxScatteredRanges;
    }

    @Override
    public CompletableFuture<Void> writeScattered(Scatter scatter, ByteBuf data, boolean fua) {
        if (scatter.count() > maxScatteredRanges) {
            return CompletableFuture.failedFuture(new MirrorgateException(ErrorCode.EINVAL,
                    name() + ": " + scatter.count() + " ranges (expected: at most "
                            + maxScatteredRanges + ")"));
        }
        scatteredWrites.incrementAndGet();
        return super.writeScattered(scatter, data, fua);
    }

    /** Holds every later write (and flush) until {@link #releaseHeldInReverse()}. */
    public synchronized void holdWrites() {
        holding = true;
    }

    /** Stops holding, then applies the held writes newest first (replies out of order). */
    public void releaseHeldInReverse() {
        List<Runnable> toRun;
        synchronized (this) {
            holding = false;
            toRun = new ArrayList<>(held);
            held.clear();
        }
        Collections.reverse(toRun);
        toRun.forEach(Runnable::run);
    }

    /** Holds every later flush until {@link #releaseFlushes()}. */
    public synchronized void holdFlushes() {
        flushGate = new CompletableFuture<>();
    }

    public void releaseFlushes() {
        CompletableFuture<Void> gate;
        synchronized (this) {
            gate = flushGate;
        }
        gate.complete(null);
    }

    /** How many writes are held now. */
    public synchronized int heldWrites() {
        return held.size();
    }

    /** Runs {@code hook} with the offset of each successful read, after the data was read. */
    public void afterRead(LongConsumer hook) {
        this.afterRead = hook;
    }

    public int maxWritesInFlight() {
        return maxWritesInFlight.get();
    }

    @Override
    public String name() {
        return "controllable(" + delegate.name() + ")";
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        long bad = badOffset;
        if (bad >= 0 && offset < bad + badLength && bad < offset + length) {
            return CompletableFuture.failedFuture(new MirrorgateException(ErrorCode.EIO,
                    name() + ": injected read error at offset " + offset));
        }
        return delegate.read(offset, length).thenApply(buf -> {
            afterRead.accept(offset);
            return buf;
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        dataWrites.incrementAndGet();
        return delayed(() -> delegate.write(offset, data, fua));
    }

    @Override
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> gate;
        synchronized (this) {
            gate = flushGate;
        }
        return gate.thenCompose(v -> delayed(delegate::flush));
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        return delayed(() -> delegate.trim(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        zeroWrites.incrementAndGet();
        return delayed(() -> delegate.writeZeroes(offset, length, fua));
    }

    private CompletableFuture<Void> delayed(Supplier<CompletableFuture<Void>> op) {
        synchronized (this) {
            if (holding) {
                CompletableFuture<Void> result = new CompletableFuture<>();
                held.add(() -> op.get().whenComplete((v, err) -> {
                    if (err != null) {
                        result.completeExceptionally(err);
                    } else {
                        result.complete(null);
                    }
                }));
                return result;
            }
        }
        long maxDelay = writeDelayMicros;
        if (maxDelay == 0) {
            return op.get();
        }
        int now = writesInFlight.incrementAndGet();
        maxWritesInFlight.accumulateAndGet(now, Math::max);
        CompletableFuture<Void> result = new CompletableFuture<>();
        timer.schedule(() -> {
            writesInFlight.decrementAndGet();
            op.get().whenComplete((v, err) -> {
                if (err != null) {
                    result.completeExceptionally(err);
                } else {
                    result.complete(null);
                }
            });
        }, ThreadLocalRandom.current().nextLong(maxDelay + 1),
                TimeUnit.MICROSECONDS);
        return result;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        delegate.close();
    }
}
