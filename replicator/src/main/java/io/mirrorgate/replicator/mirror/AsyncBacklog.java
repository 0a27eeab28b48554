package io.mirrorgate.replicator.mirror;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The bytes of {@link ReplicationMode#ASYNC} peer writes that are queued or in flight, bounded by
 * a limit. A reservation that does not fit waits (FIFO) until earlier ones are released: that is
 * the writers' backpressure. A single reservation larger than the limit is admitted alone, when
 * the backlog is empty, so a big write cannot wait forever.
 */
final class AsyncBacklog {
    private final long limit;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private long used;
    private long peak;

    private record Pending(long bytes, CompletableFuture<Void> admitted) {}

    AsyncBacklog(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("async backlog: " + limit + " bytes (expected: > 0)");
        }
        this.limit = limit;
    }

    /** Completes when {@code bytes} are admitted into the backlog. */
    CompletableFuture<Void> reserve(long bytes) {
        synchronized (this) {
            if (waiting.isEmpty() && fits(bytes)) {
                admit(bytes);
                return CompletableFuture.completedFuture(null);
            }
            Pending pending = new Pending(bytes, new CompletableFuture<>());
            waiting.add(pending);
            return pending.admitted();
        }
    }

    /** Gives back {@code bytes} admitted earlier, admitting waiting reservations that now fit. */
    void release(long bytes) {
        List<CompletableFuture<Void>> admitted = new ArrayList<>();
        synchronized (this) {
            used -= bytes;
            while (!waiting.isEmpty() && fits(waiting.peek().bytes())) {
                Pending next = waiting.poll();
                admit(next.bytes());
                admitted.add(next.admitted());
            }
        }
        admitted.forEach(f -> f.complete(null));
    }

    private boolean fits(long bytes) {
        return used + bytes <= limit || used == 0;
    }

    private void admit(long bytes) {
        used += bytes;
        peak = Math.max(peak, used);
    }

    synchronized long used() {
        return used;
    }

    /** The most bytes the backlog ever held. */
    synchronized long peak() {
        return peak;
    }

    long limit() {
        return limit;
    }
}
