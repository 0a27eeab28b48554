package io.mirrorgate.replicator.resync;

import io.mirrorgate.replicator.generation.SyncDirection;
import io.mirrorgate.replicator.resync.ResyncProgress.State;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The mutable side of {@link ResyncProgress}: which regions were counted in the total, bytes
 * done, and a sliding window of samples for the rate. Thread-safe; written by the resync thread,
 * read by {@code status}.
 */
final class ProgressTracker {
    private static final long WINDOW_NANOS = 5_000_000_000L;
    private static final int MAX_SAMPLES = 256;

    private record Sample(long nanos, long done) {}

    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private BitSet counted = new BitSet();
    /** Regions counted with fewer bytes than the region (partly owed): the bytes counted. */
    private Map<Integer, Long> countedPart = new HashMap<>();
    private State state = State.IDLE;
    private SyncDirection direction = SyncDirection.NONE;
    private long done;
    private long total;
    private long regionsCopied;
    private String lastError;

    /** A new resync: counts the regions owed now into the total. */
    synchronized void begin(SyncDirection direction) {
        this.direction = direction;
        this.counted = new BitSet();
        this.countedPart = new HashMap<>();
        this.done = 0;
        this.total = 0;
        this.regionsCopied = 0;
        this.lastError = null;
        this.samples.clear();
    }

    /**
     * Region {@code region} is part of the total from the start, with the {@code bytes} owed in
     * it; {@code whole}: all of the region (it stays so until copied).
     */
    synchronized void count(long region, long bytes, boolean whole) {
        if (whole) {
            counted.set(Math.toIntExact(region));
        } else {
            countedPart.put(Math.toIntExact(region), bytes);
        }
        total += bytes;
    }

    synchronized void running() {
        state = State.RUNNING;
        lastError = null;
        samples.clear();
        sample(System.nanoTime());
    }

    /**
     * A region was copied ({@code bytes} of it): it adds to done, and to the total what was not
     * counted (all of it when the region became owed later; the blocks owed since, for a region
     * counted in part).
     */
    synchronized void copied(long region, long bytes) {
        int index = Math.toIntExact(region);
        Long part = countedPart.remove(index);
        if (counted.get(index)) {
            counted.clear(index);
        } else {
            total += part != null ? bytes - part : bytes;
        }
        done += bytes;
        regionsCopied++;
        sample(System.nanoTime());
    }

    synchronized void paused(String reason) {
        state = State.PAUSED;
        lastError = reason;
    }

    synchronized void finished() {
        state = State.DONE;
        total = done;
        counted.clear();
        countedPart.clear();
    }

    synchronized void splitBrain(String message) {
        state = State.SPLIT_BRAIN;
        direction = SyncDirection.NONE;
        lastError = message;
    }

    synchronized State state() {
        return state;
    }

    synchronized SyncDirection direction() {
        return direction;
    }

    private void sample(long now) {
        samples.addLast(new Sample(now, done));
        while (samples.size() > MAX_SAMPLES
                || (samples.size() > 2 && now - samples.peekFirst().nanos() > WINDOW_NANOS)) {
            samples.removeFirst();
        }
    }

    synchronized ResyncProgress snapshot() {
        double rate = 0;
        if (state == State.RUNNING && samples.size() >= 2) {
            Sample first = samples.peekFirst();
            long elapsed = System.nanoTime() - first.nanos();
            rate = elapsed > 0 ? (done - first.done()) * 1e9 / elapsed : 0;
        }
        double percent = state == State.DONE ? 100.0 : total == 0 ? 0.0 : done * 100.0 / total;
        long eta = state == State.DONE ? 0 : rate > 0 ? (long) Math.ceil((total - done) / rate) : -1;
        return new ResyncProgress(state, direction, done, total, percent, rate, eta,
                regionsCopied, lastError);
    }
}
