package io.mirrorgate.replicator.mirror;

import io.mirrorgate.common.metrics.Counters;

/** The hot-path counters of a {@link MirrorDevice}; {@link #snapshot} makes the public record. */
final class MirrorStats {
    enum Name {
        READS, WRITES, BYTES_READ, BYTES_WRITTEN, LOCAL_READ_ERRORS, REPAIRED, LOCAL_WRITE_FAILURES,
        PEER_WRITE_FAILURES, DEGRADED_WRITES
    }

    private final Counters<Name> counters = new Counters<>(Name.class);

    void increment(Name name) {
        counters.increment(name);
    }

    void add(Name name, long n) {
        counters.add(name, n);
    }

    MirrorCounters snapshot(boolean degraded, AsyncBacklog backlog) {
        return new MirrorCounters(counters.get(Name.READS), counters.get(Name.WRITES),
                counters.get(Name.BYTES_READ), counters.get(Name.BYTES_WRITTEN),
                counters.get(Name.LOCAL_READ_ERRORS), counters.get(Name.REPAIRED),
                counters.get(Name.LOCAL_WRITE_FAILURES), counters.get(Name.PEER_WRITE_FAILURES),
                counters.get(Name.DEGRADED_WRITES), degraded,
                backlog != null ? backlog.used() : 0, backlog != null ? backlog.peak() : 0);
    }
}
