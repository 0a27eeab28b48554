package io.mirrorgate.orchestrator.takeover;

import java.time.Duration;

/**
 * What a running step sees: its deadline (each command it runs gets the time that is left) and
 * the plan record (to skip one-shot actions a resumed plan already did).
 */
public final class StepContext {
    private final String step;
    private final long deadlineNanos;
    private final PlanRecord record;
    private final StateStore store;

    StepContext(String step, Duration timeout, PlanRecord record, StateStore store) {
        this.step = step;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        this.record = record;
        this.store = store;
    }

    /** The time left for this step; a failure when it is used up. */
    public Duration remaining() throws StepFailure {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new StepFailure("step " + step + " timed out");
        }
        return Duration.ofNanos(left);
    }

    public boolean isDone(String marker) {
        return record.isDone(marker);
    }

    /** Records a one-shot action as done, durably, before the plan goes on. */
    public void markDone(String marker) {
        record.markDone(marker);
        store.save(record);
    }
}
