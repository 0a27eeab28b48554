package io.mirrorgate.server.device;

import static io.mirrorgate.server.testing.Futures.await;
import static io.mirrorgate.server.testing.Futures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bounded I/O pool: overload fails at once, never blocks the caller. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IoPoolTest {

    @Test
    void fullQueueFailsAtOnceWithEnomemAndShutdownWithEshutdown() throws Exception {
        AtomicInteger rejected = new AtomicInteger();
        CountDownLatch terminated = new CountDownLatch(1);
        IoPool pool = new IoPool("test", 1, 2, rejected::incrementAndGet, terminated::countDown);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> blocked = pool.submit(() -> {
            running.countDown();
            assertTrue(release.await(20, TimeUnit.SECONDS));
            return "first";
        });
        assertTrue(running.await(10, TimeUnit.SECONDS));
        CompletableFuture<String> completedOn = blocked.thenApply(v -> Thread.currentThread().getName());
        CompletableFuture<String> queued1 = pool.submit(() -> "second");
        CompletableFuture<String> queued2 = pool.submit(() -> "third");
        long start = System.nanoTime();
        CompletableFuture<String> overflow = pool.submit(() -> "fourth");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "did not block");
        MirrorgateException e = failure(overflow, ErrorCode.ENOMEM);
        assertTrue(e.getMessage().contains("I/O queue is full (2 requests waiting"),
                e.getMessage());
        assertEquals(1, rejected.get());
        pool.shutdown();
        failure(pool.submit(() -> "late"), ErrorCode.ESHUTDOWN);
        assertEquals(1, terminated.getCount(), "in-flight requests still pending");
        release.countDown();
        // the dependent first: a thread waiting in get() on `blocked` may run its pending
        // dependents itself, and would then be the thread this asks about
        assertTrue(await(completedOn).startsWith("mirrorgate-io-test-"),
                "futures complete on the pool thread: " + await(completedOn));
        assertEquals("first", await(blocked));
        assertEquals("second", await(queued1));
        assertEquals("third", await(queued2));
        pool.awaitTermination();
        assertEquals(0, terminated.getCount());
    }

    @Test
    void resultOfACancelledRequestIsReleased() throws Exception {
        IoPool pool = new IoPool("test", 1, 4, () -> { }, () -> { });
        CountDownLatch release = new CountDownLatch(1);
        ByteBuf buf = Unpooled.directBuffer(16);
        CompletableFuture<ByteBuf> read = pool.submit(() -> {
            assertTrue(release.await(20, TimeUnit.SECONDS));
            return buf;
        });
        read.cancel(false);
        release.countDown();
        pool.shutdown();
        pool.awaitTermination();
        assertEquals(0, buf.refCnt());
    }
}
