package io.mirrorgate.server.device;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded pool where a device's blocking system calls run: a fixed number of threads and a
 * bounded queue. A request that finds the queue full fails at once with {@code ENOMEM} (the
 * caller, maybe an event loop, never waits); after {@link #shutdown()} with {@code ESHUTDOWN}.
 * Futures complete on the pool thread.
 */
final class IoPool {
    private static final Logger LOG = LoggerFactory.getLogger(IoPool.class);

    private final String name;
    private final int maxQueued;
    private final Runnable onRejected;
    private final ThreadPoolExecutor executor;

    /**
     * {@code onRejected} runs for each request refused because the queue is full; {@code
     * onTerminated} runs once, after the last queued or running request has ended.
     */
    IoPool(String name, int threads, int maxQueued, Runnable onRejected, Runnable onTerminated) {
        this.name = name;
        this.maxQueued = maxQueued;
        this.onRejected = onRejected;
        AtomicInteger count = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(maxQueued),
                task -> {
                    Thread thread = new IoThread(this, task,
                            "mirrorgate-io-" + name + "-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                },
                new ThreadPoolExecutor.AbortPolicy()) {
            @Override
            protected void terminated() {
                onTerminated.run();
            }
        };
    }

    /**
     * Runs {@code task} on the pool. A result that arrives after the future was cancelled is
     * released if it is reference counted (a read buffer nobody will release otherwise).
     */
    <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                T value;
                try {
                    value = task.call();
                } catch (Throwable failure) {
                    future.completeExceptionally(failure);
                    return;
                }
                if (!future.complete(value)) {
                    ReferenceCountUtil.release(value);
                }
            });
        } catch (RejectedExecutionException e) {
            if (executor.isShutdown()) {
                future.completeExceptionally(
                        new MirrorgateException(ErrorCode.ESHUTDOWN, name + ": device is closed"));
            } else {
                onRejected.run();
                future.completeExceptionally(new MirrorgateException(ErrorCode.ENOMEM, name
                        + ": I/O queue is full (" + maxQueued + " requests waiting; expected:"
                        + " fewer requests in flight or a larger maxQueued)", e));
            }
        }
        return future;
    }

    /** Whether the calling thread is one of this pool's threads. */
    boolean onPoolThread() {
        return Thread.currentThread() instanceof IoThread
                && ((IoThread) Thread.currentThread()).pool == this;
    }

    /** Stops accepting requests; those queued or running still finish. */
    void shutdown() {
        executor.shutdown();
    }

    /** Waits until every request has ended and the termination action has run. */
    void awaitTermination() throws InterruptedException {
        long started = System.nanoTime();
        while (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
            LOG.warn("device={} waiting for in-flight I/O to finish before closing seconds={}"
                    + " active={} queued={}", name,
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
                    executor.getActiveCount(), executor.getQueue().size());
        }
    }

    private static final class IoThread extends Thread {
        final IoPool pool;

        IoThread(IoPool pool, Runnable task, String name) {
            super(task, name);
            this.pool = pool;
        }
    }
}
