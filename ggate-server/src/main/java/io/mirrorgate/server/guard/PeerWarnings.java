package io.mirrorgate.server.guard;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Rate-limits the warnings a server logs about one peer address: at most {@code burst} per
 * {@code window}; later ones are counted and the next warning that is let through says how many
 * were suppressed ({@code suppressed=N}). A fuzzer or a flood fills no disk. The table is cleared
 * when it holds more than {@value #MAX_PEERS} addresses (a spoofing flood cannot grow it). Thread
 * safe; one instance per server.
 */
public final class PeerWarnings {
    static final int MAX_PEERS = 4096;
    /** The channel attribute through which a server's handlers find its instance. */
    public static final AttributeKey<PeerWarnings> ATTRIBUTE =
            AttributeKey.valueOf(PeerWarnings.class, "peerWarnings");

    private final int burst;
    private final long windowNanos;
    private final ConcurrentHashMap<Object, Window> peers = new ConcurrentHashMap<>();

    /** At most {@code burst} warnings per peer address per {@code windowSeconds}. */
    public PeerWarnings(int burst, long windowSeconds) {
        this.burst = burst;
        this.windowNanos = TimeUnit.SECONDS.toNanos(windowSeconds);
    }

    /** The default: 10 warnings per peer address per minute. */
    public static PeerWarnings defaults() {
        return new PeerWarnings(10, 60);
    }

    /**
     * Whether a warning about {@code peer} may be logged now: -1 when it is suppressed (log it at
     * DEBUG at most), otherwise the number suppressed since the last one let through.
     */
    public long permit(SocketAddress peer) {
        Object key = peer instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress() : String.valueOf(peer);
        if (peers.size() > MAX_PEERS) {
            peers.clear();
        }
        Window w = peers.computeIfAbsent(key, k -> new Window());
        synchronized (w) {
            long now = System.nanoTime();
            if (now - w.start > windowNanos) {
                w.start = now;
                w.used = 0;
            }
            if (w.used >= burst) {
                w.suppressed++;
                return -1;
            }
            w.used++;
            long suppressed = w.suppressed;
            w.suppressed = 0;
            return suppressed;
        }
    }

    /** Sets the server's instance on one of its channels. */
    public void attach(Channel channel) {
        channel.attr(ATTRIBUTE).set(this);
    }

    /**
     * Whether a warning about {@code channel}'s peer may be logged now (see {@link
     * #permit(SocketAddress)}), with the instance attached to the channel; a channel without one
     * always may (0).
     */
    public static long permit(Channel channel) {
        PeerWarnings w = channel.attr(ATTRIBUTE).get();
        return w == null ? 0 : w.permit(channel.remoteAddress());
    }

    /** As {@link #permit(SocketAddress)}, by address. */
    public long permit(InetAddress peer) {
        return permit(new InetSocketAddress(peer, 0));
    }

    private static final class Window {
        long start = System.nanoTime();
        int used;
        long suppressed;
    }
}
