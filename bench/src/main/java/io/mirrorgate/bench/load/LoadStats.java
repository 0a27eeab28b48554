package io.mirrorgate.bench.load;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters of a load run, shared by its threads. */
final class LoadStats {
    final LongAdder requests = new LongAdder();
    final LongAdder wrongData = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    final LongAdder hostileConnections = new LongAdder();
    final LongAdder hostileClosedByServer = new LongAdder();
    final AtomicLong maxRssKiB = new AtomicLong(-1);
    volatile String firstFailure;

    void failed(String what) {
        failures.increment();
        if (firstFailure == null) {
            firstFailure = what;
        }
    }
}
