package io.mirrorgate.replicator.mirror;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Orders requests on overlapping byte ranges: application writes (so that both replicas apply
 * overlapping writes in the same order), read repairs, and resync copies of a whole region (so
 * that a region being copied and a write into it never interleave).
 *
 * <p>Every lock is exclusive on its range; requests on disjoint ranges run concurrently. A
 * request is granted when it overlaps no granted lock and no request that waits before it (FIFO
 * among overlapping requests), so a waiting copy is not starved by a stream of writes and a
 * write never overtakes an earlier overlapping one. Each request takes one range at once and
 * never holds one lock while waiting for another: there is no deadlock, and a wait is bounded by
 * the requests queued before it.
 *
 * <p>Futures are completed outside the monitor, on the thread that released the blocking lock.
 */
public final class RangeLocks {

    /** A granted or waiting lock on {@code [offset, end)}; release it exactly once. */
    public final class Lock implements AutoCloseable {
        private final long offset;
        private final long end;
        private final CompletableFuture<Lock> granted = new CompletableFuture<>();
        private boolean released;

        private Lock(long offset, long end) {
            this.offset = offset;
            this.end = end;
        }

        private boolean overlaps(Lock other) {
            return offset < other.end && other.offset < end;
        }

        /** Releases the lock (idempotent) and grants the requests it was blocking. */
        @Override
        public void close() {
            release(this);
        }
    }

    private final List<Lock> granted = new ArrayList<>();
    private final ArrayDeque<Lock> waiting = new ArrayDeque<>();

    /** Requests an exclusive lock on {@code [offset, offset + length)}. */
    public CompletableFuture<Lock> acquire(long offset, long length) {
        Lock lock = new Lock(offset, offset + Math.max(length, 1));
        boolean now;
        synchronized (this) {
            now = !overlapsAny(lock, granted) && !overlapsAny(lock, waiting);
            if (now) {
                granted.add(lock);
            } else {
                waiting.add(lock);
            }
        }
        if (now) {
            lock.granted.complete(lock);
        }
        return lock.granted;
    }

    /** Number of granted locks and waiting requests (application I/O the resync yields to). */
    public synchronized int busy() {
        return granted.size() + waiting.size();
    }

    /** Number of requests waiting for a lock. */
    public synchronized int waitingCount() {
        return waiting.size();
    }

    private void release(Lock lock) {
        List<Lock> grant = new ArrayList<>();
        synchronized (this) {
            if (lock.released) {
                return;
            }
            lock.released = true;
            if (!granted.remove(lock)) {
                throw new IllegalStateException("released a lock that was never granted: ["
                        + lock.offset + ", " + lock.end + ")");
            }
            List<Lock> before = new ArrayList<>();
            for (Iterator<Lock> it = waiting.iterator(); it.hasNext(); ) {
                Lock next = it.next();
                if (!overlapsAny(next, granted) && !overlapsAny(next, before)) {
                    it.remove();
                    granted.add(next);
                    grant.add(next);
                } else {
                    before.add(next);
                }
            }
        }
        for (Lock next : grant) {
            next.granted.complete(next);
        }
    }

    private static boolean overlapsAny(Lock lock, Iterable<Lock> locks) {
        for (Lock other : locks) {
            if (lock.overlaps(other)) {
                return true;
            }
        }
        return false;
    }
}
