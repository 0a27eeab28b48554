package io.mirrorgate.server.device;

import java.util.concurrent.atomic.LongAdder;

/** Hot-path request counters of a device; {@link #snapshot()} gives {@link DeviceStats}. */
public final class DeviceCounters {
    private final LongAdder reads = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder bytesZeroed = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    private final LongAdder trims = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder rejected = new LongAdder();

    public void read(long bytes) {
        reads.increment();
        bytesRead.add(bytes);
    }

    public void wrote(long bytes) {
        writes.increment();
        bytesWritten.add(bytes);
    }

    /** A write-zeroes: counted as a write of {@code bytes}, and as zeroed. */
    public void zeroed(long bytes) {
        wrote(bytes);
        bytesZeroed.add(bytes);
    }

    public void flushed() {
        flushes.increment();
    }

    public void trimmed() {
        trims.increment();
    }

    public void failed() {
        errors.increment();
    }

    public void rejected() {
        rejected.increment();
    }

    public DeviceStats snapshot() {
        return new DeviceStats(reads.sum(), bytesRead.sum(), writes.sum(), bytesWritten.sum(),
                flushes.sum(), trims.sum(), errors.sum(), rejected.sum(), bytesZeroed.sum());
    }
}
