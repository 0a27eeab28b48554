package io.mirrorgate.server.guard;

import io.netty.channel.Channel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests and request bytes in flight across one server. A connection takes what a request
 * needs when it starts it and gives it back when the reply is out; while either total is at its
 * maximum, connections start no more requests and stop reading ({@link #mayStart}) and register
 * to be woken ({@link #whenFree}), so that 200 clients with 32 MiB requests cannot take the
 * server's memory, and floods cannot fill a device's bounded queue (whose overflow would fail
 * every client's requests with ENOMEM). Thread safe.
 */
public final class ByteBudget {
    private final long max;
    private final int maxRequests;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    /** Channels that hold bytes and wait for the budget. */
    private final Set<Channel> waiting = ConcurrentHashMap.newKeySet();
    /** Channels that hold nothing and wait for the budget (they may go past the maximum). */
    private final Set<Channel> waitingEmpty = ConcurrentHashMap.newKeySet();

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
        if (waiting.isEmpty() && waitingEmpty.isEmpty()) {
            return;
        }
        if (requests.get() >= maxRequests - maxRequests / 4) {
            return;
        }
        long now = used.get();
        if (now < max - max / 4) {
            fire(waiting);
        }
        if (now < hardMax() - max / 2) {
            fire(waitingEmpty);
        }
    }

    private static void fire(Set<Channel> channels) {
        for (Channel ch : channels) {
            if (channels.remove(ch)) {
                ch.pipeline().fireUserEventTriggered(Freed.EVENT);
            }
        }
    }

    /** Whether the server holds more than its maximum of request bytes now. */
    public boolean bytesOverLimit() {
        return used.get() >= max;
    }

    /**
     * Whether a connection holding {@code heldBytes} (in flight and in unwritten replies) may
     * start another request now. One that holds nothing may start one past the maximum, up to
     * twice the maximum, as long as the requests are under theirs: clients that read their
     * replies are not starved by those that do not, who hold the bytes (and are closed first
     * while the budget is full: {@link ConnectionTimeouts}).
     */
    public boolean mayStart(long heldBytes) {
        long now = used.get();
        return requests.get() < maxRequests && (now < max || (heldBytes == 0 && now < hardMax()));
    }

    /** Twice the maximum: what connections that hold nothing may take the server to. */
    private long hardMax() {
        return max > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : 2 * max;
    }

    /**
     * {@code ch}, which holds {@code heldBytes} and may not start a request now ({@link
     * #mayStart}), gets {@link Freed#EVENT} once it is worth trying again: the requests are down
     * to three quarters of their maximum and the bytes to three quarters of the limit that stops
     * it (the maximum, or for a connection that holds nothing twice the maximum). All waiters of
     * a kind are woken at once, rather than each time one request finishes, which with hundreds
     * waiting kept an event loop busy waking them.
     */
    public void whenFree(Channel ch, long heldBytes) {
        Set<Channel> set = heldBytes == 0 ? waitingEmpty : waiting;
        set.add(ch);
        wake();
    }

    /** The user event that tells a waiting channel to reconsider reading. */
    public static final class Freed {
        public static final Freed EVENT = new Freed();

        private Freed() {}
    }
}
