package io.mirrorgate.server.testing;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Wraps a device so that its futures complete later, on another thread: after a delay (to keep
 * requests in flight while a test drops a connection), or never while stalled (a server that
 * does not answer). Stalled requests fail with ESHUTDOWN when the device closes.
 */
public final class DelayingBlockDevice extends ForwardingDevice {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "delaying-device");
        t.setDaemon(true);
        return t;
    });
    private final List<Runnable> stalled = new ArrayList<>();
    private final List<CompletableFuture<?>> stalledFutures = new ArrayList<>();
    private volatile long delayMillis;
    private volatile boolean stall;

    public DelayingBlockDevice(BlockDevice inner, long delayMillis) {
        super(inner);
        this.delayMillis = delayMillis;
    }

    public void setDelayMillis(long delayMillis) {
        this.delayMillis = delayMillis;
    }

    /** While stalled, no request runs or completes; unstalling runs the held ones. */
    public void setStalled(boolean stall) {
        List<Runnable> held;
        synchronized (stalled) {
            this.stall = stall;
            held = stall ? List.of() : new ArrayList<>(stalled);
            if (!stall) {
                stalled.clear();
                stalledFutures.clear();
            }
        }
        held.forEach(timer::execute);
    }

    /** Requests held by {@link #setStalled stalling}: they reached the device and wait. */
    public int stalledCount() {
        synchronized (stalled) {
            return stalled.size();
        }
    }

    private <T> CompletableFuture<T> later(Supplier<CompletableFuture<T>> op) {
        CompletableFuture<T> out = new CompletableFuture<>();
        Runnable run = () -> op.get().whenComplete((v, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(v);
            }
        });
        synchronized (stalled) {
            if (stall) {
                stalled.add(run);
                stalledFutures.add(out);
                return out;
            }
        }
        timer.schedule(run, delayMillis, TimeUnit.MILLISECONDS);
        return out;
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        return later(() -> delegate.read(offset, length));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        return later(() -> delegate.write(offset, data, fua));
    }

    @Override
    public CompletableFuture<Void> flush() {
        return later(delegate::flush);
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        return later(() -> delegate.trim(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return later(() -> delegate.writeZeroes(offset, length, fua));
    }

    @Override
    public void close() {
        timer.shutdownNow();
        synchronized (stalled) {
            stalledFutures.forEach(f -> f.completeExceptionally(
                    new MirrorgateException(ErrorCode.ESHUTDOWN, name() + ": closed")));
            stalledFutures.clear();
            stalled.clear();
        }
        delegate.close();
    }
}
