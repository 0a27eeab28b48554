package io.mirrorgate.orchestrator.takeover;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the steps of a plan in order: each one timed, with its own timeout, logged with its
 * duration, and recorded in the state file before and after it runs. The first failing step
 * stops the plan; the steps after it are recorded {@code not-run}, and the plan's failure steps
 * (make the node safe, report) run instead.
 */
public final class PlanRunner {
    private static final Logger LOG = LoggerFactory.getLogger(PlanRunner.class);

    /** The work of one step; returns a one-line detail of what it did. */
    @FunctionalInterface
    public interface StepBody {
        String run(StepContext ctx) throws StepFailure;
    }

    /** A named step with its timeout. */
    public record StepDef(String name, Duration timeout, StepBody body) {}

    private final StateStore store;
    private final Consumer<String> reporter;
    private final LongSupplier wallClock;

    /** {@code reporter} gets one line per step (the CLI prints them; the daemon logs them). */
    public PlanRunner(StateStore store, Consumer<String> reporter, LongSupplier wallClock) {
        this.store = store;
        this.reporter = reporter;
        this.wallClock = wallClock;
    }

    /**
     * Runs {@code steps}, and {@code onFailure} (every one of them, whatever they return) when one
     * of {@code steps} failed; returns the finished record (outcome ok or failed).
     */
    public PlanRecord run(PlanRecord record, List<StepDef> steps, List<StepDef> onFailure) {
        try (AutoCloseable lock = store.lock()) {
            return runLocked(record, steps, onFailure);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot release the plan lock: " + e, e);
        }
    }

    private PlanRecord runLocked(PlanRecord record, List<StepDef> steps, List<StepDef> onFailure) {
        store.save(record);
        LOG.info("plan={} started reason=\"{}\" steps={}", record.plan(), record.reason(), steps.size());
        String failure = null;
        for (StepDef step : steps) {
            if (failure != null) {
                record.putStep(new PlanRecord.Step(step.name(), StepOutcome.NOT_RUN, 0, ""));
                continue;
            }
            String problem = runStep(record, step);
            if (problem != null) {
                failure = step.name() + ": " + problem;
            }
        }
        if (failure != null) {
            store.save(record);
            for (StepDef step : onFailure) {
                runStep(record, step);
            }
        }
        record.finish(failure == null ? StepOutcome.OK : StepOutcome.FAILED, failure, wallClock.getAsLong());
        store.save(record);
        reporter.accept(record.plan() + (failure == null ? " done" : " FAILED: " + failure));
        return record;
    }

    /** Runs one step; null when it worked, else the reason. */
    private String runStep(PlanRecord record, StepDef step) {
        record.putStep(new PlanRecord.Step(step.name(), StepOutcome.RUNNING, 0, ""));
        store.save(record);
        long start = System.nanoTime();
        String detail;
        String failure = null;
        try {
            detail = step.body().run(new StepContext(step.name(), step.timeout(), record, store));
        } catch (StepFailure e) {
            detail = e.getMessage();
            failure = detail;
        } catch (RuntimeException e) {
            detail = e.toString();
            failure = detail;
            LOG.error("plan={} step={} failed unexpectedly", record.plan(), step.name(), e);
        }
        StepOutcome outcome = failure == null ? StepOutcome.OK : StepOutcome.FAILED;
        long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
        record.putStep(new PlanRecord.Step(step.name(), outcome, ms, detail));
        store.save(record);
        if (failure == null) {
            LOG.info("plan={} step={} outcome=ok durationMs={} detail=\"{}\"", record.plan(), step.name(), ms, detail);
        } else {
            LOG.error("plan={} step={} outcome=failed durationMs={} reason=\"{}\"", record.plan(), step.name(), ms,
                    detail);
        }
        reporter.accept(record.plan() + " step " + step.name() + " " + outcome.label() + " in " + ms + "ms"
                + (detail.isEmpty() ? "" : ": " + detail));
        return failure;
    }
}
