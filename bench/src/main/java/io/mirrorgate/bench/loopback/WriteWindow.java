package io.mirrorgate.bench.loopback;

import io.mirrorgate.server.device.BlockDevice;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Issues writes of one buffer with at most {@code depth} in flight, as an application with that
 * queue depth does (fio's iodepth), and waits for all of them. Bounded: every wait for a free
 * slot times out; the first failure is rethrown.
 */
public final class WriteWindow {
    private static final long SLOT_TIMEOUT_SECONDS = 120;

    private WriteWindow() {}

    /** Writes {@code data} {@code count} times at the offsets {@code offsets} gives. */
    public static void write(BlockDevice device, ByteBuf data, int count, int depth,
            LongSupplier offsets) throws InterruptedException {
        Semaphore slots = new Semaphore(depth);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < count && failure.get() == null; i++) {
            acquire(slots, 1);
            device.write(offsets.getAsLong(), data.duplicate(), false).whenComplete((v, err) -> {
                if (err != null) {
                    failure.compareAndSet(null, err);
                }
                slots.release();
            });
        }
        acquire(slots, depth);
        Throwable err = failure.get();
        if (err != null) {
            throw new IllegalStateException("write to " + device.name() + " failed: " + err, err);
        }
    }

    private static void acquire(Semaphore slots, int n) throws InterruptedException {
        if (!slots.tryAcquire(n, SLOT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("writes did not complete within " + SLOT_TIMEOUT_SECONDS + " s");
        }
    }
}
