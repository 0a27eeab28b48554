package io.mirrorgate.server.guard;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.internal.PlatformDependent;
import java.time.Duration;
import java.util.Objects;

/**
 * What one server allows each connection, in both protocols: bytes of requests in flight per
 * connection and across the server ({@link ByteBudget}), how long a partial frame may go without
 * a byte or replies without being read ({@code frameTimeout}), how long a connection may do
 * nothing at all ({@code idleTimeout}, zero: never closed for idling), and how long closing waits
 * for the queued replies ({@code drainTimeout}). One instance per server; its handlers find it
 * through {@link #ATTRIBUTE} on their channel.
 *
 * @param connectionBytes request bytes (READ lengths, WRITE payloads) in flight per connection
 *     before it stops reading
 * @param serverBytes request bytes in flight across the server before every connection stops
 *     reading
 * @param frameTimeout a partial frame or unread replies with no progress for this long close the
 *     connection
 * @param idleTimeout a connection that reads and writes nothing for this long is closed (zero:
 *     never)
 * @param drainTimeout how long closing waits for queued replies to be written
 * @param serverRequests requests in flight across the server before every connection waits (below
 *     a local device's queue of 1024, whose overflow fails requests with ENOMEM)
 */
public record ConnectionLimits(long connectionBytes, long serverBytes, Duration frameTimeout,
        Duration idleTimeout, Duration drainTimeout, int serverRequests, ByteBudget budget) {
    /** The channel attribute through which a server's handlers find its limits. */
    public static final AttributeKey<ConnectionLimits> ATTRIBUTE =
            AttributeKey.valueOf(ConnectionLimits.class, "limits");

    public ConnectionLimits {
        Objects.requireNonNull(frameTimeout, "frameTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (connectionBytes < 1 << 20) {
            throw new IllegalArgumentException("connection bytes in flight: " + connectionBytes
                    + " (expected: >= 1 MiB)");
        }
        if (serverBytes < connectionBytes) {
            throw new IllegalArgumentException("server bytes in flight: " + serverBytes
                    + " (expected: >= the per-connection limit " + connectionBytes + ")");
        }
        positive(frameTimeout, "frame timeout");
        positive(drainTimeout, "drain timeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idle timeout: " + idleTimeout + " (expected: >= 0)");
        }
        if (serverRequests < 1) {
            throw new IllegalArgumentException("server requests in flight: " + serverRequests
                    + " (expected: >= 1)");
        }
        if (budget == null || budget.max() != serverBytes || budget.maxRequests() != serverRequests) {
            budget = new ByteBudget(serverBytes, serverRequests);
        }
    }

    private static void positive(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + ": " + d + " (expected: > 0)");
        }
    }

    /**
     * The defaults: 64 MiB in flight per connection, {@link #defaultServerBytes()} and 768
     * requests per server, 30 s for a partial frame or unread replies, 30 s to drain, and no idle
     * timeout: the kernel's NBD client and a replication link may rightly be idle for hours and do
     * not all reconnect (TCP keepalive finds dead peers; a server whose clients reconnect may set
     * one).
     */
    public static ConnectionLimits defaults() {
        long server = defaultServerBytes();
        return new ConnectionLimits(Math.min(64L << 20, server), server, Duration.ofSeconds(30),
                Duration.ZERO, Drain.DEFAULT_TIMEOUT, 768, null);
    }

    /**
     * The request bytes a server lets be in flight by default: a quarter of the JVM's direct
     * memory ({@code -XX:MaxDirectMemorySize}, by default the heap's maximum), at most 1 GiB and at
     * least 64 MiB. The rest is for what the budget does not count: socket reads being assembled
     * into frames, TLS records, and what the buffer pools keep. A budget above the direct memory
     * lets clients that do not read their replies exhaust it, and then every event loop waits in
     * the allocator and no client is served.
     */
    public static long defaultServerBytes() {
        return Math.max(64L << 20, Math.min(1L << 30, PlatformDependent.maxDirectMemory() / 4));
    }

    /** A fresh server-wide budget: each server gets its own instance of the limits. */
    public ConnectionLimits forNewServer() {
        return new ConnectionLimits(connectionBytes, serverBytes, frameTimeout, idleTimeout,
                drainTimeout, serverRequests, null);
    }

    public ConnectionLimits withConnectionBytes(long bytes) {
        return new ConnectionLimits(bytes, Math.max(bytes, serverBytes), frameTimeout, idleTimeout,
                drainTimeout, serverRequests, null);
    }

    public ConnectionLimits withServerBytes(long bytes) {
        return new ConnectionLimits(connectionBytes, bytes, frameTimeout, idleTimeout, drainTimeout,
                serverRequests, null);
    }

    public ConnectionLimits withServerRequests(int requests) {
        return new ConnectionLimits(connectionBytes, serverBytes, frameTimeout, idleTimeout, drainTimeout,
                requests, null);
    }

    public ConnectionLimits withFrameTimeout(Duration timeout) {
        return new ConnectionLimits(connectionBytes, serverBytes, timeout, idleTimeout, drainTimeout,
                serverRequests, budget);
    }

    public ConnectionLimits withIdleTimeout(Duration timeout) {
        return new ConnectionLimits(connectionBytes, serverBytes, frameTimeout, timeout, drainTimeout,
                serverRequests, budget);
    }

    public ConnectionLimits withDrainTimeout(Duration timeout) {
        return new ConnectionLimits(connectionBytes, serverBytes, frameTimeout, idleTimeout, timeout,
                serverRequests, budget);
    }

    /** Sets these limits on one of the server's channels. */
    public void attach(Channel channel) {
        channel.attr(ATTRIBUTE).set(this);
    }

    /** The limits attached to {@code channel}, or the defaults (with a budget of its own). */
    public static ConnectionLimits of(Channel channel) {
        ConnectionLimits limits = channel.attr(ATTRIBUTE).get();
        if (limits == null) {
            limits = defaults();
            channel.attr(ATTRIBUTE).set(limits);
        }
        return limits;
    }
}
