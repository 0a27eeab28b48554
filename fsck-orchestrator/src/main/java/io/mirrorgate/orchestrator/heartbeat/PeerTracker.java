package io.mirrorgate.orchestrator.heartbeat;

import io.mirrorgate.common.metrics.Counters;
import io.mirrorgate.orchestrator.config.HeartbeatConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows of its peer from the heartbeats it received, with the Linux-HA timers:
 * the peer is {@link Liveness#ALIVE} while heartbeats come, {@link Liveness#LATE} (a warning is
 * logged) after {@code warntime} of silence, {@link Liveness#DEAD} after {@code deadtime}; until
 * the first heartbeat it is {@link Liveness#WAITING}, and dead only after {@code initdead}.
 *
 * <p>Only a packet that passes every check resets the timer: its HMAC (the shared key), its
 * addressee (this node) and sender (the configured peer), its timestamp (within {@code max_skew}
 * of this node's clock) and its sequence (a higher incarnation, or the same incarnation and a
 * higher sequence than any accepted before: a replayed packet is refused). Each refusal is
 * counted by reason. Thread-safe.
 */
public final class PeerTracker {
    private static final Logger LOG = LoggerFactory.getLogger(PeerTracker.class);

    /** The peer's state by the timers. */
    public enum Liveness {
        /** Start-up: no heartbeat yet, {@code initdead} not over. */
        WAITING,
        ALIVE,
        /** Silent for more than {@code warntime}. */
        LATE,
        /** Silent for more than {@code deadtime} (or no heartbeat within {@code initdead}). */
        DEAD;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Why a packet was accepted or refused. */
    public enum Verdict { ACCEPTED, FORGED, MALFORMED, MISADDRESSED, REPLAYED, SKEWED }

    private final HeartbeatCodec codec;
    private final HeartbeatConfig config;
    private final String node;
    private final String peer;
    private final Clock clock;
    private final long startNanos;
    private final Counters<Verdict> counters = new Counters<>(Verdict.class);

    private HeartbeatMessage last;
    private long lastHeardNanos;
    private long lastHeardMillis;
    private Liveness reported = Liveness.WAITING;

    public PeerTracker(HeartbeatCodec codec, HeartbeatConfig config, String node, String peer, Clock clock) {
        this.codec = codec;
        this.config = config;
        this.node = node;
        this.peer = peer;
        this.clock = clock;
        this.startNanos = clock.nanos();
    }

    /** Checks one received datagram; only an accepted one resets the dead-peer timer. */
    public Verdict receive(byte[] packet, int length, Object from) {
        Verdict v;
        HeartbeatMessage m = null;
        try {
            m = codec.decode(packet, length);
            v = checkAndRecord(m);
        } catch (HeartbeatCodec.BadPacket e) {
            v = e.forged() ? Verdict.FORGED : Verdict.MALFORMED;
            LOG.debug("heartbeat refused from={} reason=\"{}\"", from, e.getMessage());
        }
        counters.increment(v);
        long count = counters.get(v);
        if (v != Verdict.ACCEPTED && Long.bitCount(count) == 1) { // 1st, 2nd, 4th, 8th...: never a flood
            LOG.warn("heartbeat refused from={} verdict={} count={}", from, v.name().toLowerCase(), count);
        }
        return v;
    }

    private synchronized Verdict checkAndRecord(HeartbeatMessage m) {
        Verdict v = check(m);
        if (v == Verdict.ACCEPTED) {
            last = m;
            lastHeardNanos = clock.nanos();
            lastHeardMillis = clock.millis();
        }
        return v;
    }

    private Verdict check(HeartbeatMessage m) {
        if (!m.node().equals(peer) || !m.peer().equals(node)) {
            return Verdict.MISADDRESSED;
        }
        if (Math.abs(clock.millis() - m.timestamp()) > config.maxSkew().toMillis()) {
            return Verdict.SKEWED;
        }
        if (last != null && (m.incarnation() < last.incarnation()
                || (m.incarnation() == last.incarnation() && m.sequence() <= last.sequence()))) {
            return Verdict.REPLAYED;
        }
        return Verdict.ACCEPTED;
    }

    /** The peer's state now; logs each change (a warning when late or dead). */
    public synchronized Liveness liveness() {
        long now = clock.nanos();
        Liveness l;
        if (last == null) {
            l = now - startNanos >= config.initdead().toNanos() ? Liveness.DEAD : Liveness.WAITING;
        } else {
            long silence = now - lastHeardNanos;
            l = silence >= config.deadtime().toNanos() ? Liveness.DEAD
                    : silence >= config.warntime().toNanos() ? Liveness.LATE : Liveness.ALIVE;
        }
        if (l != reported) {
            long silentMs = (now - (last == null ? startNanos : lastHeardNanos)) / 1_000_000;
            if (l == Liveness.LATE) {
                LOG.warn("late heartbeat peer={} silentMs={} warntimeMs={}", peer, silentMs,
                        config.warntime().toMillis());
            } else if (l == Liveness.DEAD) {
                LOG.warn("peer dead peer={} silentMs={} {}Ms={}", peer, silentMs,
                        last == null ? "initdead" : "deadtime",
                        (last == null ? config.initdead() : config.deadtime()).toMillis());
            } else {
                LOG.info("peer alive peer={} role={} epoch={}", peer, last.role().label(), last.epoch());
            }
            reported = l;
        }
        return l;
    }

    /** The last accepted heartbeat, or null. */
    public synchronized HeartbeatMessage last() {
        return last;
    }

    /** Wall-clock time (ms) of the last accepted heartbeat, 0 when none. */
    public synchronized long lastHeardMillis() {
        return lastHeardMillis;
    }

    /** Milliseconds since the last accepted heartbeat (or since start when none). */
    public synchronized long silenceMillis() {
        return (clock.nanos() - (last == null ? startNanos : lastHeardNanos)) / 1_000_000;
    }

    public long count(Verdict verdict) {
        return counters.get(verdict);
    }
}
