package io.mirrorgate.orchestrator.testing;

import io.mirrorgate.orchestrator.heartbeat.Clock;
import java.time.Duration;

/** A clock that moves only when a test says so; both readings move together. */
public final class FakeClock implements Clock {
    private long nanos = 1_000_000_000L;
    private long millis = 1_764_600_000_000L;

    @Override
    public synchronized long nanos() {
        return nanos;
    }

    @Override
    public synchronized long millis() {
        return millis;
    }

    public synchronized void advance(Duration d) {
        nanos += d.toNanos();
        millis += d.toMillis();
    }

    public void advanceMillis(long ms) {
        advance(Duration.ofMillis(ms));
    }
}
