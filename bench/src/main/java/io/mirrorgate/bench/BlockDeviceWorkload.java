package io.mirrorgate.bench;

import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@link DeviceWorkload} on a {@link BlockDevice}: a round submits every request, then waits
 * for each future (bounded by {@value DeviceWorkload#ROUND_TIMEOUT_SECONDS} s), releasing read
 * buffers; the first failure is thrown once all have been waited for. Writes send views of one
 * direct buffer of random bytes.
 */
public abstract class BlockDeviceWorkload extends DeviceWorkload {
    private BlockDevice device;
    private ByteBuf payload;

    /** Opens the device under test on the image; register what it opens with {@link #own}. */
    protected abstract BlockDevice openDevice(BenchImage image) throws Exception;

    @Override
    protected final void openTarget(BenchImage image) throws Exception {
        payload = Unpooled.directBuffer(SEQ_SIZE).writeBytes(pattern());
        own(payload::release);
        device = openDevice(image);
    }

    @Override
    protected final void writeRound(long[] offsets, int count, int length) throws Exception {
        CompletableFuture<?>[] futures = new CompletableFuture<?>[count];
        for (int i = 0; i < count; i++) {
            // A view per request: a device may move a buffer's indexes while others are in flight.
            futures[i] = device.write(offsets[i], payload.slice(0, length), false);
        }
        awaitAll(futures, false);
    }

    @Override
    protected final void readRound(long[] offsets, int count, int length) throws Exception {
        CompletableFuture<?>[] futures = new CompletableFuture<?>[count];
        for (int i = 0; i < count; i++) {
            futures[i] = device.read(offsets[i], length);
        }
        awaitAll(futures, true);
    }

    private void awaitAll(CompletableFuture<?>[] futures, boolean release) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ROUND_TIMEOUT_SECONDS);
        Exception failure = null;
        for (CompletableFuture<?> future : futures) {
            try {
                Object value = future.get(Math.max(0, deadline - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
                if (release) {
                    ((ByteBuf) value).release();
                }
            } catch (ExecutionException | TimeoutException e) {
                Exception reason = new IllegalStateException(device.name() + ": request "
                        + (e instanceof TimeoutException
                                ? "did not complete in " + ROUND_TIMEOUT_SECONDS + " s"
                                : "failed: " + MirrorgateException.messageOf(e)), e);
                if (failure == null) {
                    failure = reason;
                } else {
                    failure.addSuppressed(reason);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
