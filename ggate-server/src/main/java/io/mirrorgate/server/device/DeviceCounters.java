package io.mirrorgate.server.device;

import io.mirrorgate.common.metrics.Counters;

/** Hot-path request counters of a device; {@link #snapshot()} gives {@link DeviceStats}. */
public final class DeviceCounters {
    private enum Name {
        READS, BYTES_READ, WRITES, BYTES_WRITTEN, BYTES_ZEROED, FLUSHES, TRIMS, ERRORS, REJECTED
    }

    private final Counters<Name> counters = new Counters<>(Name.class);

    public void read(long bytes) {
        counters.increment(Name.READS);
        counters.add(Name.BYTES_READ, bytes);
    }

    public void wrote(long bytes) {
        counters.increment(Name.WRITES);
        counters.add(Name.BYTES_WRITTEN, bytes);
    }

    /** A write-zeroes: counted as a write of {@code bytes}, and as zeroed. */
    public void zeroed(long bytes) {
        wrote(bytes);
        counters.add(Name.BYTES_ZEROED, bytes);
    }

    public void flushed() {
        counters.increment(Name.FLUSHES);
    }

    public void trimmed() {
        counters.increment(Name.TRIMS);
    }

    public void failed() {
        counters.increment(Name.ERRORS);
    }

    public void rejected() {
        counters.increment(Name.REJECTED);
    }

    public DeviceStats snapshot() {
        return new DeviceStats(counters.get(Name.READS), counters.get(Name.BYTES_READ),
                counters.get(Name.WRITES), counters.get(Name.BYTES_WRITTEN),
                counters.get(Name.FLUSHES), counters.get(Name.TRIMS), counters.get(Name.ERRORS),
                counters.get(Name.REJECTED), counters.get(Name.BYTES_ZEROED));
    }
}
