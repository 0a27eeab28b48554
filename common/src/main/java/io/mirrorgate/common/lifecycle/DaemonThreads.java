package io.mirrorgate.common.lifecycle;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way Mirrorgate makes a thread outside Netty's event loops: a daemon thread whose name
 * says what it is ({@code resync-r0}, {@code mirrorgate-bitmap-r0}, {@code heartbeat-receiver}),
 * so that a thread dump reads as the list in {@code docs/threads.md}. Daemon, because every
 * owner closes its threads itself and a forgotten one must not keep a JVM alive after
 * {@code main} returned.
 *
 * <pre>
 * ExecutorService committer = Executors.newSingleThreadExecutor(DaemonThreads.named("mirrorgate-bitmap-r0"));
 * ExecutorService calls = Executors.newCachedThreadPool(DaemonThreads.numbered("replicator-control"));
 * DaemonThreads.start("heartbeat-receiver", this::receive);
 * </pre>
 */
public final class DaemonThreads implements ThreadFactory {
    private final String name;
    private final AtomicInteger count;

    private DaemonThreads(String name, boolean numbered) {
        this.name = Objects.requireNonNull(name, "name");
        this.count = numbered ? new AtomicInteger() : null;
    }

    /** Every thread is called {@code name} (for single-thread executors). */
    public static DaemonThreads named(String name) {
        return new DaemonThreads(name, false);
    }

    /** Threads are called {@code prefix-1}, {@code prefix-2}, ... (for pools). */
    public static DaemonThreads numbered(String prefix) {
        return new DaemonThreads(prefix, true);
    }

    /** Starts {@code task} on a new daemon thread called {@code name}; returns the thread. */
    public static Thread start(String name, Runnable task) {
        Thread t = named(name).newThread(task);
        t.start();
        return t;
    }

    /**
     * Stops {@code executor} after the tasks already queued, waiting up to {@code timeout} for
     * them; then (or when interrupted) interrupts what still runs.
     */
    public static void stop(ExecutorService executor, Duration timeout) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread t = new Thread(task, count == null ? name : name + "-" + count.incrementAndGet());
        t.setDaemon(true);
        return t;
    }
}
