package io.mirrorgate.bench.load;

import io.mirrorgate.common.metrics.Counters;
import java.util.concurrent.atomic.AtomicLong;

/** Counters of a load run, shared by its threads. */
final class LoadStats {
    enum Name {
        REQUESTS, WRONG_DATA, FAILURES, CONNECT_FAILURES, HOSTILE_CONNECTIONS, HOSTILE_CLOSED_BY_SERVER
    }

    final Counters<Name> counters = new Counters<>(Name.class);
    final AtomicLong maxRssKiB = new AtomicLong(-1);
    volatile String firstFailure;

    void failed(String what) {
        counters.increment(Name.FAILURES);
        if (firstFailure == null) {
            firstFailure = what;
        }
    }
}
