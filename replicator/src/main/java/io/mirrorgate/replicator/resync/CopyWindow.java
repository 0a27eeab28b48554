package io.mirrorgate.replicator.resync;

import java.util.HashMap;
import java.util.Map;

/**
 * How much a resync pass has in flight: per region being copied, the bytes its copy writes (its
 * owed bytes when it was chosen, exact once its lock is granted). The window holds {@code
 * regionsInFlight} regions, and beyond that more while their bytes stay under what that many
 * whole regions hold, so that copies of a few owed blocks each go many at a time and share the
 * target's flushes; never more than {@link #MAX_REGIONS} (with 4 chunks each, 256 requests, well
 * below a local device's queue of 1024 by default, which rejects beyond). Whole regions fill it
 * at {@code regionsInFlight}, as before. Not thread-safe: the pass's own thread uses it.
 */
final class CopyWindow {
    static final int MAX_REGIONS = 64;

    private final int regionsInFlight;
    private final long bytesLimit;
    private final Map<Long, Long> bytes = new HashMap<>();

    CopyWindow(int regionsInFlight, long regionSize) {
        this.regionsInFlight = regionsInFlight;
        this.bytesLimit = regionsInFlight * regionSize;
    }

    /** Whether a copy of {@code more} bytes has no room now, with {@code inFlight} copies. */
    boolean full(int inFlight, long more) {
        if (inFlight < regionsInFlight) {
            return false;
        }
        if (inFlight >= MAX_REGIONS) {
            return true;
        }
        long held = 0;
        for (long b : bytes.values()) {
            held += b;
        }
        return held + Math.max(more, 1) > bytesLimit;
    }

    /** Region {@code region}'s copy writes {@code n} bytes (it started, or its ranges are known). */
    void put(long region, long n) {
        bytes.put(region, n);
    }

    /** The bytes counted for {@code region}, 0 when none. */
    long get(long region) {
        return bytes.getOrDefault(region, 0L);
    }

    /** Region {@code region}'s copy ended. */
    void remove(long region) {
        bytes.remove(region);
    }
}
