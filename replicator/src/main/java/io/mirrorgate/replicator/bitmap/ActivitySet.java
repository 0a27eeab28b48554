package io.mirrorgate.replicator.bitmap;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The most recently written regions, at most {@code capacity} of them, least recently written
 * first (HAST's activemap "keep dirty" set, DRBD's activity log). Regions in it stay marked on
 * disk, so that writing into them again costs no metadata write. Not thread-safe: the owner locks.
 */
final class ActivitySet {
    private final int capacity;
    private final LinkedHashMap<Integer, Boolean> regions;

    ActivitySet(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("activity set capacity: " + capacity + " (expected: >= 1)");
        }
        this.capacity = capacity;
        this.regions = new LinkedHashMap<>(capacity * 2, 0.75f, true);
    }

    /** Records a write into {@code region}; returns the region that fell out, or -1. */
    int touch(int region) {
        regions.put(region, Boolean.TRUE);
        if (regions.size() <= capacity) {
            return -1;
        }
        Map.Entry<Integer, Boolean> eldest = regions.entrySet().iterator().next();
        regions.remove(eldest.getKey());
        return eldest.getKey();
    }

    boolean contains(int region) {
        return regions.containsKey(region);
    }

    void clear() {
        regions.clear();
    }

    int size() {
        return regions.size();
    }
}
