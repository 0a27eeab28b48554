package io.mirrorgate.orchestrator.takeover;

import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.config.ResourcePlan;
import io.mirrorgate.orchestrator.config.ServiceAddress;
import io.mirrorgate.orchestrator.config.ServiceCommands;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.CommandRunner.Result;
import io.mirrorgate.orchestrator.takeover.PlanRunner.StepDef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The two plans of a node. Takeover:
 * <ol>
 *   <li>{@code fence}: {@code replicator fence R} for every resource (raise the epoch);</li>
 *   <li>{@code promote}: {@code replicator role R primary [--force]};</li>
 *   <li>{@code fsck}: attach the device (if configured) and fsck it; exit 0 and 1 go on, anything
 *       else stops the plan, which then drops any service address that is up (the node is left
 *       safe: no address up, no service started) and reports;</li>
 *   <li>{@code mount} (when configured);</li>
 *   <li>{@code addresses}: each service address brought up, then announced (gratuitous ARP, in
 *       the background: the services start while arping repeats its announcements);</li>
 *   <li>{@code services}: each start command, in order;</li>
 *   <li>{@code notify}: the notify command; its detail also says how the announcements went.</li>
 * </ol>
 * Demote is the reverse: stop the services (reverse order), drop the addresses, unmount and
 * detach, {@code replicator role R secondary}, notify. Every step is idempotent, and a plan that
 * a crash interrupted is run again by {@link #resumeInterrupted}.
 */
public final class Plans {
    public static final String TAKEOVER = "takeover";
    public static final String DEMOTE = "demote";

    private final OrchestratorConfig config;
    private final ReplicatorControl replicator;
    private final SystemActions system;
    private final StateStore store;
    private final PlanRunner runner;
    private final LongSupplier wallClock;

    public Plans(OrchestratorConfig config, CommandRunner actions, CommandRunner queries, StateStore store,
            Consumer<String> reporter, LongSupplier wallClock) {
        this.config = config;
        this.replicator = new ReplicatorControl(config.replicator(), actions, queries);
        this.system = new SystemActions(config.commands(), actions, queries);
        this.store = store;
        this.runner = new PlanRunner(store, reporter, wallClock);
        this.wallClock = wallClock;
    }

    public ReplicatorControl replicator() {
        return replicator;
    }

    /** Runs the takeover plan; {@code force} passes {@code --force} to the role change. */
    public PlanRecord takeover(String reason, boolean force) {
        return takeover(new PlanRecord(TAKEOVER, reason, config.node(), wallClock.getAsLong(), force));
    }

    /** Runs the demote plan. */
    public PlanRecord demote(String reason) {
        return demote(new PlanRecord(DEMOTE, reason, config.node(), wallClock.getAsLong(), false));
    }

    /** If the state file holds a plan that a crash interrupted, runs that plan again. */
    public Optional<PlanRecord> resumeInterrupted() {
        Optional<PlanRecord> last = store.load();
        if (last.isEmpty() || !last.get().interrupted()) {
            return Optional.empty();
        }
        PlanRecord old = last.get();
        PlanRecord again = new PlanRecord(old.plan(), "resumed after an interruption: " + old.reason(), config.node(),
                wallClock.getAsLong(), old.force());
        again.inheritDone(old);
        return Optional.of(old.plan().equals(DEMOTE) ? demote(again) : takeover(again));
    }

    private PlanRecord takeover(PlanRecord record) {
        Duration t = config.stepTimeout();
        List<CompletableFuture<String>> announces = new ArrayList<>();
        List<StepDef> steps = List.of(
                new StepDef("fence", t, this::fence),
                new StepDef("promote", t, ctx -> promote(ctx, record.force())),
                new StepDef("fsck", config.fsckTimeout(), this::fsck),
                new StepDef("mount", t, this::mount),
                new StepDef("addresses", t, ctx -> addressesUp(ctx, announces)),
                new StepDef("services", t, this::startServices),
                new StepDef("notify", t, ctx -> notify(ctx, "takeover", record, "notify") + announced(ctx, announces)));
        List<StepDef> onFailure = List.of(
                new StepDef("safe", t, this::safe),
                new StepDef("notify-failure", t, ctx -> notify(ctx, "takeover-failed", record, "notify-failure")));
        return runner.run(record, steps, onFailure);
    }

    private PlanRecord demote(PlanRecord record) {
        Duration t = config.stepTimeout();
        List<StepDef> steps = List.of(
                new StepDef("stop-services", t, this::stopServices),
                new StepDef("drop-addresses", t, this::addressesDown),
                new StepDef("unmount", t, this::unmount),
                new StepDef("secondary", t, this::secondary),
                new StepDef("notify", t, ctx -> notify(ctx, "demote", record, "notify")));
        List<StepDef> onFailure = List.of(
                new StepDef("notify-failure", t, ctx -> notify(ctx, "demote-failed", record, "notify-failure")));
        return runner.run(record, steps, onFailure);
    }

    private String fence(StepContext ctx) throws StepFailure {
        List<String> done = new ArrayList<>();
        for (ResourcePlan r : config.resources()) {
            Result result = replicator.fence(r.name(), ctx.remaining());
            if (!result.ok()) {
                throw new StepFailure("replicator fence " + r.name() + ": " + ReplicatorControl.meaning(result));
            }
            done.add(r.name());
        }
        return "fenced " + String.join(", ", done);
    }

    private String promote(StepContext ctx, boolean force) throws StepFailure {
        List<String> done = new ArrayList<>();
        for (ResourcePlan r : config.resources()) {
            Result result = replicator.role(r.name(), true, force, ctx.remaining());
            if (!result.ok()) {
                String hint = result.exitCode() == ReplicatorControl.REFUSED && !force
                        ? " (the peer may still be primary: demote it first, or use --force)" : "";
                throw new StepFailure("replicator role " + r.name() + " primary: " + ReplicatorControl.meaning(result)
                        + hint);
            }
            done.add(r.name());
        }
        return "primary: " + String.join(", ", done);
    }

    private String fsck(StepContext ctx) throws StepFailure {
        List<String> details = new ArrayList<>();
        for (ResourcePlan r : config.resources()) {
            if (r.mountPoint().isPresent() && system.mounted(r.mountPoint().get(), ctx)) {
                details.add(r.name() + ": mounted already, no fsck");
                continue;
            }
            if (!r.attach().isEmpty()) {
                system.run(r.name() + " attach", r.attach(), ctx);
            }
            if (r.fsck().isEmpty()) {
                details.add(r.name() + ": no fsck configured");
                continue;
            }
            Result result = system.actions().run(r.fsck(), ctx.remaining());
            if (result.timedOut() || (result.exitCode() != 0 && result.exitCode() != 1)) {
                throw new StepFailure(r.name() + ": fsck " + result.describe() + " (exit 0 or 1 expected: the"
                        + " file system needs repair by hand; no address was brought up, no service started)");
            }
            details.add(r.name() + ": " + (result.exitCode() == 0 ? "clean" : "errors corrected"));
        }
        return String.join("; ", details);
    }

    private String mount(StepContext ctx) throws StepFailure {
        List<String> details = new ArrayList<>();
        for (ResourcePlan r : config.resources()) {
            if (r.mountPoint().isPresent()) {
                details.add(system.mount(r.device().orElseThrow(), r.mountPoint().get(), ctx));
            }
        }
        return details.isEmpty() ? "nothing to mount" : String.join("; ", details);
    }

    private String addressesUp(StepContext ctx, List<CompletableFuture<String>> announces) throws StepFailure {
        List<String> details = new ArrayList<>();
        for (ServiceAddress a : config.addresses()) {
            details.add(system.addressAdd(a, ctx));
            announces.add(system.announce(a, ctx));
        }
        return details.isEmpty() ? "no service address" : String.join("; ", details);
    }

    /** How the gratuitous ARPs started by the addresses step went (they ran beside the services). */
    private static String announced(StepContext ctx, List<CompletableFuture<String>> announces) throws StepFailure {
        List<String> details = new ArrayList<>();
        for (CompletableFuture<String> f : announces) {
            try {
                details.add(f.get(ctx.remaining().toNanos(), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                details.add("announce still running");
            } catch (ExecutionException e) {
                details.add("announce failed (" + e.getCause() + ")");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StepFailure("interrupted");
            }
        }
        return details.isEmpty() ? "" : "; " + String.join("; ", details);
    }

    private String addressesDown(StepContext ctx) throws StepFailure {
        List<String> details = new ArrayList<>();
        for (ServiceAddress a : config.addresses()) {
            details.add(system.addressDel(a, ctx));
        }
        return details.isEmpty() ? "no service address" : String.join("; ", details);
    }

    private String startServices(StepContext ctx) throws StepFailure {
        List<String> details = new ArrayList<>();
        for (ServiceCommands s : config.services()) {
            Boolean running = system.serviceRunning(s, ctx);
            if (Boolean.TRUE.equals(running) || (running == null && ctx.isDone("service:" + s.name()))) {
                details.add(s.name() + " running already");
                continue;
            }
            system.run(s.name() + " start", s.start(), ctx);
            ctx.markDone("service:" + s.name());
            details.add(s.name() + " started");
        }
        return details.isEmpty() ? "no service" : String.join("; ", details);
    }

    private String stopServices(StepContext ctx) throws StepFailure {
        List<String> details = new ArrayList<>();
        List<ServiceCommands> reversed = new ArrayList<>(config.services());
        Collections.reverse(reversed);
        for (ServiceCommands s : reversed) {
            if (Boolean.FALSE.equals(system.serviceRunning(s, ctx))) {
                details.add(s.name() + " not running");
                continue;
            }
            system.run(s.name() + " stop", s.stop(), ctx);
            details.add(s.name() + " stopped");
        }
        return details.isEmpty() ? "no service" : String.join("; ", details);
    }

    private String unmount(StepContext ctx) throws StepFailure {
        List<String> details = new ArrayList<>();
        for (ResourcePlan r : config.resources()) {
            if (r.mountPoint().isPresent()) {
                details.add(system.umount(r.mountPoint().get(), ctx));
            }
            if (!r.detach().isEmpty()) {
                system.run(r.name() + " detach", r.detach(), ctx);
                details.add(r.name() + " detached");
            }
        }
        return details.isEmpty() ? "nothing to unmount" : String.join("; ", details);
    }

    private String secondary(StepContext ctx) throws StepFailure {
        List<String> done = new ArrayList<>();
        for (ResourcePlan r : config.resources()) {
            Result result = replicator.role(r.name(), false, false, ctx.remaining());
            if (!result.ok()) {
                throw new StepFailure("replicator role " + r.name() + " secondary: "
                        + ReplicatorControl.meaning(result));
            }
            done.add(r.name());
        }
        return "secondary: " + String.join(", ", done);
    }

    /** After a failed takeover: no service address may stay up (a resumed plan may have raised some). */
    private String safe(StepContext ctx) throws StepFailure {
        return addressesDown(ctx);
    }

    private String notify(StepContext ctx, String event, PlanRecord record, String marker) throws StepFailure {
        if (config.notifyCommand().isEmpty()) {
            return "no notify command";
        }
        if (ctx.isDone(marker)) {
            return "notified already";
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MIRRORGATE_EVENT", event);
        env.put("MIRRORGATE_NODE", config.node());
        env.put("MIRRORGATE_PEER", config.peerNode());
        env.put("MIRRORGATE_REASON", record.reason());
        StringBuilder summary = new StringBuilder();
        for (PlanRecord.Step s : record.steps()) {
            summary.append(s.step()).append(' ').append(s.outcome().label()).append(' ').append(s.durationMs())
                    .append("ms ").append(s.detail()).append('\n');
        }
        env.put("MIRRORGATE_STEPS", summary.toString());
        Result r = system.actions().run(config.notifyCommand(), env, ctx.remaining());
        if (!r.ok()) {
            return "notify failed (" + r.describe() + "), ignored";
        }
        ctx.markDone(marker);
        return "notified (" + event + ")";
    }
}
