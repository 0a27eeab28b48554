package io.mirrorgate.replicator.testing;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.error.ErrorCode;
import io.mirrorgate.server.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A decorator for tests: reads of a chosen range fail (a bad sector), and writes can be delayed
 * so that they complete later on another thread, as a remote device's do. The delayed write
 * copies nothing: it applies the caller's buffer when the delay expires, which is legal because
 * the caller keeps it until the future completes.
 */
public final class ControllableBlockDevice implements BlockDevice {
    private final BlockDevice inner;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "controllable-device");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger writesInFlight = new AtomicInteger();
    private final AtomicInteger maxWritesInFlight = new AtomicInteger();
    private final AtomicInteger dataWrites = new AtomicInteger();
    private final AtomicInteger zeroWrites = new AtomicInteger();
    private volatile long badOffset = -1;
    private volatile long badLength;
    private volatile long writeDelayMicros;

    public ControllableBlockDevice(BlockDevice inner) {
        this.inner = inner;
    }

    /** Reads overlapping {@code [offset, offset + length)} fail with EIO; -1 heals. */
    public void failReads(long offset, long length) {
        this.badLength = length;
        this.badOffset = offset;
    }

    /** Each write completes after {@code micros} on the timer thread; 0 = inline. */
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

    public int maxWritesInFlight() {
        return maxWritesInFlight.get();
    }

    @Override
    public String name() {
        return "controllable(" + inner.name() + ")";
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public int blockSize() {
        return inner.blockSize();
    }

    @Override
    public boolean isReadOnly() {
        return inner.isReadOnly();
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        long bad = badOffset;
        if (bad >= 0 && offset < bad + badLength && bad < offset + length) {
            return CompletableFuture.failedFuture(new MirrorgateException(ErrorCode.EIO,
                    name() + ": injected read error at offset " + offset));
        }
        return inner.read(offset, length);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        dataWrites.incrementAndGet();
        return delayed(() -> inner.write(offset, data, fua));
    }

    @Override
    public CompletableFuture<Void> flush() {
        return delayed(inner::flush);
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        return delayed(() -> inner.trim(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        zeroWrites.incrementAndGet();
        return delayed(() -> inner.writeZeroes(offset, length, fua));
    }

    private CompletableFuture<Void> delayed(java.util.function.Supplier<CompletableFuture<Void>> op) {
        long delay = writeDelayMicros;
        if (delay == 0) {
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
        }, delay, TimeUnit.MICROSECONDS);
        return result;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        inner.close();
    }
}
