package io.mirrorgate.server.guard;

import io.netty.channel.Channel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request bytes in flight across one server. A connection takes what a request needs when
 * it reads the request (it was already read: taking never fails) and gives it back when the
 * reply is out; while the total is over the maximum, connections stop reading ({@link
 * #overLimit()}) and register to be woken ({@link #whenFree}), so that 200 clients with 32 MiB
 * requests cannot take the server's memory. Thread safe.
 */
public final class ByteBudget {
    private final long max;
    private final AtomicLong used = new AtomicLong();
    private final Set<Channel> waiting = ConcurrentHashMap.newKeySet();

    public ByteBudget(long max) {
        this.max = max;
    }

    public long max() {
        return max;
    }

    public long used() {
        return used.get();
    }

    /** Takes {@code bytes}. */
    public void take(long bytes) {
        used.addAndGet(bytes);
    }

    /** Gives {@code bytes} back; wakes the waiting channels once under the maximum. */
    public void give(long bytes) {
        if (used.addAndGet(-bytes) < max && !waiting.isEmpty()) {
            for (Channel ch : waiting) {
                waiting.remove(ch);
                ch.pipeline().fireUserEventTriggered(Freed.EVENT);
            }
        }
    }

    /** Whether the server holds more than its maximum now. */
    public boolean overLimit() {
        return used.get() >= max;
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
