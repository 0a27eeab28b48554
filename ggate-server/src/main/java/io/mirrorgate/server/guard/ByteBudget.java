package io.mirrorgate.server.guard;

import io.netty.channel.Channel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests and request bytes in flight across one server. A connection takes what a request
 * needs when it starts it and gives it back when the reply is out; while either total is at its
 * maximum, connections start no more requests and stop reading ({@link #overLimit()}) and
 * register to be woken ({@link #whenFree}), so that 200 clients with 32 MiB requests cannot take
 * the server's memory, and floods cannot fill a device's bounded queue (whose overflow would fail
 * every client's requests with ENOMEM). Thread safe.
 */
public final class ByteBudget {
    private final long max;
    private final int maxRequests;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final Set<Channel> waiting = ConcurrentHashMap.newKeySet();

    public ByteBudget(long max, int maxRequests) {
        this.max = max;
        this.maxRequests = maxRequests;
    }

    public long max() {
        return max;
    }

    public long used() {
        return used.get();
    }

    public int maxRequests() {
        return maxRequests;
    }

    /** Takes one request of {@code bytes}. */
    public void take(long bytes) {
        requests.incrementAndGet();
        used.addAndGet(bytes);
    }

    /** Gives one request of {@code bytes} back; wakes the waiting channels once under the maximum. */
    public void give(long bytes) {
        requests.decrementAndGet();
        bytesDone(bytes);
    }

    /** The request has replied (its reply's bytes may still be held: {@link #bytesDone}). */
    public void requestDone() {
        requests.decrementAndGet();
        wake();
    }

    /** {@code bytes} of a request that has replied are no longer held (its reply was written). */
    public void bytesDone(long bytes) {
        used.addAndGet(-bytes);
        wake();
    }

    private void wake() {
        if (!overLimit() && !waiting.isEmpty()) {
            for (Channel ch : waiting) {
                waiting.remove(ch);
                ch.pipeline().fireUserEventTriggered(Freed.EVENT);
            }
        }
    }

    /** Whether the server holds more than its maximum now. */
    public boolean overLimit() {
        return used.get() >= max || requests.get() >= maxRequests;
    }

    /**
     * Whether a connection holding {@code heldBytes} (in flight and in unwritten replies) may
     * start another request now. One that holds nothing may always start one as long as the
     * requests are under their maximum: clients that read their replies are never starved by
     * those that do not, who hold the bytes.
     */
    public boolean mayStart(long heldBytes) {
        return requests.get() < maxRequests && (used.get() < max || heldBytes == 0);
    }

    /** {@code ch} gets {@link Freed#EVENT} once the budget is under its maximum again. */
    public void whenFree(Channel ch) {
        waiting.add(ch);
        if (!overLimit() && waiting.remove(ch)) {
            ch.pipeline().fireUserEventTriggered(Freed.EVENT);
        }
    }

    /** The user event that tells a waiting channel to reconsider reading. */
    public static final class Freed {
        public static final Freed EVENT = new Freed();

        private Freed() {}
    }
}
