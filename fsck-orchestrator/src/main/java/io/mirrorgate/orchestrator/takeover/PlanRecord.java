package io.mirrorgate.orchestrator.takeover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The progress of one plan run, as kept in the state file: which plan, why, when, each step's
 * outcome and duration, and the one-shot actions already done ({@code done} markers such as
 * {@code service:web} or {@code notify}) so that a resumed run does not repeat them.
 *
 * <pre>
 * {"plan":"takeover", "reason":"peer beta dead", "node":"alpha", "startedAt":1764630000000,
 *  "finishedAt":1764630001234, "outcome":"ok", "error":null, "force":true,
 *  "steps":[{"step":"fence", "outcome":"ok", "durationMs":312, "detail":"r0: fenced"}, ...],
 *  "done":["service:web", "notify"]}
 * </pre>
 * {@code outcome} is {@code running} until the plan ends: a record found {@code running} at
 * start-up belongs to a plan that a crash interrupted, and is run again.
 */
public final class PlanRecord {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One step's line in the record. */
    public record Step(String step, StepOutcome outcome, long durationMs, String detail) {}

    private final String plan;
    private final String reason;
    private final String node;
    private final long startedAt;
    private final boolean force;
    private Long finishedAt;
    private StepOutcome outcome = StepOutcome.RUNNING;
    private String error;
    private final List<Step> steps = new ArrayList<>();
    private final Set<String> done = new LinkedHashSet<>();

    public PlanRecord(String plan, String reason, String node, long startedAt, boolean force) {
        this.plan = plan;
        this.reason = reason;
        this.node = node;
        this.startedAt = startedAt;
        this.force = force;
    }

    public String plan() {
        return plan;
    }

    public String reason() {
        return reason;
    }

    public boolean force() {
        return force;
    }

    public long startedAt() {
        return startedAt;
    }

    public synchronized StepOutcome outcome() {
        return outcome;
    }

    public synchronized String error() {
        return error;
    }

    public synchronized boolean interrupted() {
        return outcome == StepOutcome.RUNNING;
    }

    public synchronized List<Step> steps() {
        return Collections.unmodifiableList(new ArrayList<>(steps));
    }

    public synchronized boolean isDone(String marker) {
        return done.contains(marker);
    }

    synchronized void markDone(String marker) {
        done.add(marker);
    }

    synchronized void inheritDone(PlanRecord interrupted) {
        done.addAll(interrupted.done);
    }

    synchronized void putStep(Step step) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).step().equals(step.step())) {
                steps.set(i, step);
                return;
            }
        }
        steps.add(step);
    }

    synchronized void finish(StepOutcome result, String failure, long now) {
        outcome = result;
        error = failure;
        finishedAt = now;
    }

    public synchronized ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("plan", plan);
        o.put("reason", reason);
        o.put("node", node);
        o.put("startedAt", startedAt);
        if (finishedAt == null) {
            o.putNull("finishedAt");
        } else {
            o.put("finishedAt", finishedAt);
        }
        o.put("outcome", outcome.label());
        o.put("error", error);
        o.put("force", force);
        ArrayNode list = o.putArray("steps");
        for (Step s : steps) {
            ObjectNode n = list.addObject();
            n.put("step", s.step());
            n.put("outcome", s.outcome().label());
            n.put("durationMs", s.durationMs());
            n.put("detail", s.detail());
        }
        ArrayNode markers = o.putArray("done");
        done.forEach(markers::add);
        return o;
    }

    /** Reads a record written by {@link #toJson}; an IllegalArgumentException when malformed. */
    public static PlanRecord fromJson(JsonNode o) {
        if (!o.path("plan").isTextual() || !o.path("startedAt").canConvertToLong()) {
            throw new IllegalArgumentException("not a plan record (expected: plan, startedAt, steps)");
        }
        PlanRecord r = new PlanRecord(o.path("plan").asText(), o.path("reason").asText(""),
                o.path("node").asText(""), o.path("startedAt").asLong(), o.path("force").asBoolean(false));
        r.outcome = StepOutcome.parse(o.path("outcome").asText("running"));
        r.error = o.path("error").isTextual() ? o.path("error").asText() : null;
        r.finishedAt = o.path("finishedAt").canConvertToLong() ? o.path("finishedAt").asLong() : null;
        for (JsonNode n : o.path("steps")) {
            r.steps.add(new Step(n.path("step").asText(), StepOutcome.parse(n.path("outcome").asText("running")),
                    n.path("durationMs").asLong(), n.path("detail").asText("")));
        }
        o.path("done").forEach(n -> r.done.add(n.asText()));
        return r;
    }
}
