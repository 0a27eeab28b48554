package io.mirrorgate.replicator.bitmap;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * When a written region may be unmarked: per region the writes in flight and the sequence number
 * of its last ended write, the activity set, and how far flushes of both replicas reached. A
 * region is unmarkable when nothing is in flight in it, it is not owed, its last write ended
 * before the latest durability mark, and (except at close) it is outside the activity set.
 * Not thread-safe: {@link PersistentDirtyRegions} calls it under its lock.
 */
final class WriteTracker {
    private final Map<Integer, RegionState> written = new HashMap<>();
    private final ActivitySet activity;
    private long endSequence;
    private long durableSequence;

    private static final class RegionState {
        int inFlight;
        long lastEnd;
    }

    WriteTracker(int activityRegions) {
        this.activity = new ActivitySet(activityRegions);
    }

    /** A write into regions {@code first..last} begins. */
    void begin(int first, int last) {
        for (int r = first; r <= last; r++) {
            written.computeIfAbsent(r, k -> new RegionState()).inFlight++;
            activity.touch(r);
        }
    }

    /** A write into regions {@code first..last} ended; fails if none was in flight there. */
    void end(int first, int last) {
        for (int r = first; r <= last; r++) {
            RegionState state = written.get(r);
            if (state == null || state.inFlight == 0) {
                throw new IllegalStateException("endWrite without beginWrite: region " + r);
            }
        }
        endSequence++;
        for (int r = first; r <= last; r++) {
            RegionState state = written.get(r);
            state.inFlight--;
            state.lastEnd = endSequence;
        }
    }

    /** The regions with a write in flight. */
    BitSet inFlight() {
        BitSet regions = new BitSet();
        written.forEach((r, state) -> {
            if (state.inFlight > 0) {
                regions.set(r);
            }
        });
        return regions;
    }

    /** The current position in the history of ended writes. */
    long mark() {
        return endSequence;
    }

    /** Every write that ended up to {@code mark} is durable on both replicas. */
    void durableUpTo(long mark) {
        durableSequence = Math.max(durableSequence, Math.min(mark, endSequence));
    }

    /**
     * Removes from tracking, and returns, the unmarkable regions; {@code includeActivitySet} also
     * releases the activity set's regions (at close).
     */
    BitSet takeUnmarkable(BitSet owed, boolean includeActivitySet) {
        BitSet regions = new BitSet();
        for (Iterator<Map.Entry<Integer, RegionState>> it = written.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, RegionState> e = it.next();
            if (isUnmarkable(e.getKey(), e.getValue(), owed, includeActivitySet)) {
                it.remove();
                regions.set(e.getKey());
            }
        }
        if (includeActivitySet) {
            activity.clear();
        }
        return regions;
    }

    /**
     * Whether region {@code r}, no longer owed, may be unmarked now (never written since open, or
     * unmarkable); if so it is no longer tracked.
     */
    boolean takeIfUnmarkable(int r, BitSet owed) {
        RegionState state = written.get(r);
        if (state == null || isUnmarkable(r, state, owed, false)) {
            written.remove(r);
            return true;
        }
        return false;
    }

    private boolean isUnmarkable(int r, RegionState state, BitSet owed, boolean includeActivitySet) {
        return state.inFlight == 0 && !owed.get(r) && state.lastEnd <= durableSequence
                && (includeActivitySet || !activity.contains(r));
    }
}
