package io.mirrorgate.orchestrator.heartbeat;

/**
 * Time as the heartbeat sees it: a monotonic clock for the timers (never goes back, unaffected
 * by NTP steps) and the wall clock for the timestamps on the wire. Tests pass a fake one, so
 * that "deadtime passed" is a line of code, not a sleep.
 */
public interface Clock {
    /** Monotonic nanoseconds (only differences mean something). */
    long nanos();

    /** Wall-clock milliseconds since the epoch. */
    long millis();

    Clock SYSTEM = new Clock() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public long millis() {
            return System.currentTimeMillis();
        }
    };
}
