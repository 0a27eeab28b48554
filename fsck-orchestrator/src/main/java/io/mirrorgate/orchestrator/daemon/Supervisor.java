package io.mirrorgate.orchestrator.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.config.ResourcePlan;
import io.mirrorgate.orchestrator.daemon.FailoverPolicy.Action;
import io.mirrorgate.orchestrator.daemon.FailoverPolicy.Decision;
import io.mirrorgate.orchestrator.heartbeat.Clock;
import io.mirrorgate.orchestrator.heartbeat.HeartbeatMessage;
import io.mirrorgate.orchestrator.heartbeat.NodeRole;
import io.mirrorgate.orchestrator.heartbeat.PeerTracker;
import io.mirrorgate.orchestrator.heartbeat.PeerTracker.Liveness;
import io.mirrorgate.orchestrator.heartbeat.Reachability;
import io.mirrorgate.orchestrator.takeover.PlanRecord;
import io.mirrorgate.orchestrator.takeover.Plans;
import io.mirrorgate.orchestrator.takeover.ReplicaStatus;
import io.mirrorgate.orchestrator.takeover.StateStore;
import io.mirrorgate.orchestrator.takeover.StepOutcome;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's brain, without sockets or threads of its own: {@link #tick} (every
 * keepalive) reads the peer's liveness, asks the {@link FailoverPolicy} and hands any action to
 * the worker (one at a time: a plan, a ping check, a replicator status). {@link #nextHeartbeat}
 * says what to send. The daemon drives it with a scheduler and a UDP socket; tests drive it with
 * a fake clock and a direct executor.
 */
public final class Supervisor {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** After a failed automatic step-down or failback, how long before the next attempt. */
    static final Duration RETRY_PAUSE = Duration.ofSeconds(30);

    private final OrchestratorConfig config;
    private final Clock clock;
    private final PeerTracker tracker;
    private final Plans plans;
    private final Reachability reachability;
    private final Executor worker;
    private final StateStore store;
    private final Set<String> resources;
    private final long incarnation;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicBoolean busy = new AtomicBoolean();

    private volatile LocalState local = LocalState.unknown("the replicator was not asked yet");
    private volatile long localAtNanos;
    private volatile PlanRecord lastPlan;
    private volatile String decision = "starting";
    private volatile boolean takeoverFailed;
    private volatile boolean cutOff;
    private volatile long pausedUntilNanos;

    public Supervisor(OrchestratorConfig config, Clock clock, PeerTracker tracker, Plans plans,
            Reachability reachability, Executor worker, StateStore store) {
        this.config = config;
        this.clock = clock;
        this.tracker = tracker;
        this.plans = plans;
        this.reachability = reachability;
        this.worker = worker;
        this.store = store;
        this.resources = config.resources().stream().map(ResourcePlan::name).collect(Collectors.toSet());
        this.incarnation = clock.millis();
        this.localAtNanos = clock.nanos() - config.statusInterval().toNanos(); // the first tick asks
        this.pausedUntilNanos = clock.nanos();
    }

    /** Asks the replicator what this node is (on the worker: it runs a command). */
    public void refreshLocal() {
        try {
            List<ReplicaStatus> all = plans.replicator().status(config.stepTimeout());
            local = LocalState.of(all, resources);
        } catch (IOException e) {
            if (!Objects.equals(local.error(), e.getMessage())) {
                LOG.warn("cannot read the replicator's status: {}", e.getMessage());
            }
            local = LocalState.unknown(e.getMessage());
        }
        localAtNanos = clock.nanos();
    }

    /** One turn: liveness, decision, and at most one piece of work handed to the worker. */
    public void tick() {
        Liveness liveness = tracker.liveness();
        if (liveness == Liveness.ALIVE || liveness == Liveness.LATE) {
            takeoverFailed = false;
            cutOff = false;
        }
        if (!busy.compareAndSet(false, true)) {
            return; // a plan or a status query is running
        }
        // decide on what is known now (a plan's steps are idempotent, so acting on a status up to
        // status_interval old costs nothing, and waiting for a fresh one would delay a takeover)
        Decision d = FailoverPolicy.decide(local, liveness, tracker.last(), wantsFailback(), peerIsHome(),
                takeoverFailed);
        if (!d.reason().equals(decision)) {
            LOG.info("decision action={} reason=\"{}\"", d.action().name().toLowerCase(), d.reason());
            decision = d.reason();
        }
        if (d.action() != Action.NONE && d.action() != Action.TAKEOVER && clock.nanos() - pausedUntilNanos < 0) {
            d = FailoverPolicy.Decision.none("pausing after a failed plan: " + d.reason());
            decision = d.reason();
        }
        boolean stale = clock.nanos() - localAtNanos >= config.statusInterval().toNanos();
        if (d.action() == Action.NONE && !stale) {
            busy.set(false);
            return;
        }
        Decision work = d.action() == Action.NONE ? null : d;
        try {
            worker.execute(() -> {
                try {
                    if (work == null) {
                        refreshLocal();
                    } else {
                        act(work);
                    }
                } catch (RuntimeException e) {
                    LOG.error("supervisor work failed", e);
                } finally {
                    busy.set(false);
                }
            });
        } catch (RuntimeException rejected) {
            busy.set(false); // shutting down
        }
    }

    private void act(Decision d) {
        switch (d.action()) {
            case TAKEOVER:
                if (!reachability.anyReachable()) {
                    if (!cutOff) {
                        LOG.warn("peer dead but no ping target answers: this node is cut off and does not take over");
                    }
                    cutOff = true;
                    decision = "peer dead, but this node is cut off (no ping target answers): no takeover";
                    return;
                }
                cutOff = false;
                if (tracker.liveness() != Liveness.DEAD) {
                    return; // the peer came back while the targets were pinged
                }
                finished(plans.takeover(d.reason(), true));
                takeoverFailed = lastPlan.outcome() != StepOutcome.OK;
                break;
            case FAILBACK_TAKEOVER:
                finished(plans.takeover(d.reason(), false));
                break;
            case STEP_DOWN:
            case FAILBACK_DEMOTE:
                finished(plans.demote(d.reason()));
                break;
            default:
                return;
        }
        if (lastPlan.outcome() != StepOutcome.OK && d.action() != Action.TAKEOVER) {
            pausedUntilNanos = clock.nanos() + RETRY_PAUSE.toNanos();
            LOG.warn("automatic {} failed; next attempt in {}s at the earliest", lastPlan.plan(),
                    RETRY_PAUSE.toSeconds());
        }
        refreshLocal();
    }

    /** Records a plan that some caller (the daemon or a resume at start) ran. */
    public void finished(PlanRecord record) {
        lastPlan = record;
    }

    /**
     * At start-up: completes a plan that a crash interrupted (on the worker, while heartbeats go
     * out), then asks the replicator what this node is. No decision is taken before it is done.
     */
    public void resumeInterrupted() {
        busy.set(true);
        try {
            worker.execute(() -> {
                try {
                    plans.resumeInterrupted().ifPresent(this::finished);
                    refreshLocal();
                } catch (RuntimeException e) {
                    LOG.error("cannot resume the interrupted plan", e);
                } finally {
                    busy.set(false);
                }
            });
        } catch (RuntimeException rejected) {
            busy.set(false);
        }
    }

    /** The last plan: the state file's (a promote-standby or demote may have run), else the last known. */
    private PlanRecord lastPlan() {
        try {
            return store.load().orElse(lastPlan);
        } catch (RuntimeException unreadable) {
            return lastPlan;
        }
    }

    private boolean wantsFailback() {
        return FailoverPolicy.wantsFailback(local, config.autoFailback(), config.home().map(config.node()::equals)
                .orElse(false));
    }

    private boolean peerIsHome() {
        return config.autoFailback() && config.home().map(config.peerNode()::equals).orElse(false);
    }

    /** The next heartbeat to send to the peer. */
    public HeartbeatMessage nextHeartbeat() {
        LocalState l = local;
        List<HeartbeatMessage.ResourceState> states = new ArrayList<>();
        for (ReplicaStatus r : l.resources()) {
            states.add(new HeartbeatMessage.ResourceState(r.resource(), r.primary() ? NodeRole.PRIMARY
                    : NodeRole.SECONDARY, r.state(), r.epoch()));
        }
        return new HeartbeatMessage(config.node(), config.peerNode(), incarnation, sequence.incrementAndGet(),
                clock.millis(), l.role(), l.epoch(), wantsFailback(), states);
    }

    public LocalState local() {
        return local;
    }

    /** The status of both nodes, the heartbeat counters and the last plan, as {@code status --json} shows it. */
    public ObjectNode status() {
        ObjectNode o = JSON.createObjectNode();
        LocalState l = local;
        ObjectNode node = o.putObject("node");
        node.put("name", config.node());
        node.put("role", l.role().label());
        node.put("epoch", l.epoch());
        node.put("fenced", l.fenced());
        node.put("inSync", l.allInSync());
        node.put("wantsFailback", wantsFailback());
        node.put("error", l.error());
        ArrayNode rs = node.putArray("resources");
        for (ReplicaStatus r : l.resources()) {
            rs.addObject().put("resource", r.resource()).put("role", r.primary() ? "primary" : "secondary")
                    .put("state", r.state()).put("epoch", r.epoch()).put("fenced", r.fenced());
        }
        ObjectNode peer = o.putObject("peer");
        HeartbeatMessage last = tracker.last();
        peer.put("name", config.peerNode());
        peer.put("address", config.peerEndpoint());
        peer.put("liveness", tracker.liveness().label());
        peer.put("role", last == null ? "unknown" : last.role().label());
        peer.put("epoch", last == null ? 0 : last.epoch());
        peer.put("wantsFailback", last != null && last.wantsFailback());
        if (last == null) {
            peer.putNull("lastHeartbeat");
        } else {
            peer.put("lastHeartbeat", tracker.lastHeardMillis());
        }
        peer.put("ageMs", tracker.silenceMillis());
        ArrayNode prs = peer.putArray("resources");
        if (last != null) {
            for (HeartbeatMessage.ResourceState r : last.resources()) {
                prs.addObject().put("resource", r.name()).put("role", r.role().label()).put("state", r.state())
                        .put("epoch", r.epoch());
            }
        }
        ObjectNode counters = o.putObject("heartbeats");
        for (PeerTracker.Verdict v : PeerTracker.Verdict.values()) {
            counters.put(v.name().toLowerCase(), tracker.count(v));
        }
        o.put("decision", decision);
        o.put("cutOff", cutOff);
        PlanRecord p = lastPlan();
        if (p == null) {
            o.putNull("lastPlan");
        } else {
            o.set("lastPlan", p.toJson());
        }
        return o;
    }
}
