package io.mirrorgate.orchestrator.takeover;

import io.mirrorgate.orchestrator.config.ServiceAddress;
import io.mirrorgate.orchestrator.config.ServiceCommands;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.CommandRunner.Result;
import io.mirrorgate.orchestrator.platform.CommandSet;
import io.mirrorgate.orchestrator.platform.CommandSet.Kind;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The system side of the plans, each action idempotent: an address already up is not added
 * again, a mounted file system is not mounted again, a service whose status says it runs is not
 * started again. Queries (what is up, what is mounted) go to the query runner, changes to the
 * action runner, so that {@code --dry-run} looks at the real system and changes nothing.
 */
public final class SystemActions {
    private final CommandSet commands;
    private final CommandRunner actions;
    private final CommandRunner queries;

    public SystemActions(CommandSet commands, CommandRunner actions, CommandRunner queries) {
        this.commands = commands;
        this.actions = actions;
        this.queries = queries;
    }

    /** Whether {@code a} is configured on its interface (the platform's addr_show lists it). */
    public boolean addressUp(ServiceAddress a, StepContext ctx) throws StepFailure {
        Result r = queries.run(expand(Kind.ADDR_SHOW, a), ctx.remaining());
        if (!r.ok()) {
            throw new StepFailure("cannot list the addresses of " + a.device() + ": " + r.describe());
        }
        // "inet 10.0.0.5/24" (ip -o addr), "inet 10.0.0.5 netmask" (ifconfig), "inet6 fd00::5/64"
        Pattern p = Pattern.compile("\\binet6?\\s+" + Pattern.quote(a.address()) + "([/%\\s]|$)",
                Pattern.MULTILINE | Pattern.CASE_INSENSITIVE);
        return p.matcher(r.output()).find();
    }

    /** Brings {@code a} up unless it is; returns what it did. */
    public String addressAdd(ServiceAddress a, StepContext ctx) throws StepFailure {
        if (addressUp(a, ctx)) {
            return a.address() + "/" + a.prefix() + " already up on " + a.device();
        }
        Result r = actions.run(expand(Kind.ADDR_ADD, a), ctx.remaining());
        if (!r.ok()) {
            throw new StepFailure("cannot bring up " + a + ": " + r.describe());
        }
        return a.address() + "/" + a.prefix() + " up on " + a.device();
    }

    /**
     * Starts the gratuitous ARP for {@code a} (nothing where the platform announces by itself):
     * in the background with a real runner, because {@code arping -c 3} takes two seconds and the
     * first packet is the one that matters. The future tells how it went; a failure is a warning.
     */
    public CompletableFuture<String> announce(ServiceAddress a, StepContext ctx) throws StepFailure {
        if (commands.get(Kind.ANNOUNCE).isEmpty()) {
            return CompletableFuture.completedFuture(a.address() + " announced by " + a.device() + " itself");
        }
        return actions.runInBackground(expand(Kind.ANNOUNCE, a), ctx.remaining()).thenApply(r -> r.ok()
                ? a.address() + " announced" : a.address() + " announce failed (" + r.describe() + ")");
    }

    public String addressDel(ServiceAddress a, StepContext ctx) throws StepFailure {
        if (!addressUp(a, ctx)) {
            return a.address() + "/" + a.prefix() + " not up";
        }
        Result r = actions.run(expand(Kind.ADDR_DEL, a), ctx.remaining());
        if (!r.ok()) {
            throw new StepFailure("cannot drop " + a + ": " + r.describe());
        }
        return a.address() + "/" + a.prefix() + " dropped";
    }

    /** Whether something is mounted on {@code mountPoint} (the platform's mount list says " on MP "). */
    public boolean mounted(Path mountPoint, StepContext ctx) throws StepFailure {
        Result r = queries.run(commands.get(Kind.MOUNTS).expand(Map.of()), ctx.remaining());
        if (!r.ok()) {
            throw new StepFailure("cannot list the mounted file systems: " + r.describe());
        }
        return r.output().contains(" on " + mountPoint + " ");
    }

    public String mount(String device, Path mountPoint, StepContext ctx) throws StepFailure {
        if (mounted(mountPoint, ctx)) {
            return mountPoint + " already mounted";
        }
        Result r = actions.run(commands.get(Kind.MOUNT).expand(Map.of("device", device,
                "mountpoint", mountPoint.toString())), ctx.remaining());
        if (!r.ok()) {
            throw new StepFailure("cannot mount " + device + " on " + mountPoint + ": " + r.describe());
        }
        return device + " mounted on " + mountPoint;
    }

    public String umount(Path mountPoint, StepContext ctx) throws StepFailure {
        if (!mounted(mountPoint, ctx)) {
            return mountPoint + " not mounted";
        }
        Result r = actions.run(commands.get(Kind.UMOUNT).expand(Map.of("mountpoint", mountPoint.toString())),
                ctx.remaining());
        if (!r.ok()) {
            throw new StepFailure("cannot unmount " + mountPoint + ": " + r.describe());
        }
        return mountPoint + " unmounted";
    }

    /** Whether a service with a status command runs; null when it has none. */
    public Boolean serviceRunning(ServiceCommands s, StepContext ctx) throws StepFailure {
        if (s.status().isEmpty()) {
            return null;
        }
        return queries.run(s.status(), ctx.remaining()).ok();
    }

    /** Runs an operator's command (attach, detach, start, stop); a failure stops the step. */
    public void run(String what, List<String> argv, StepContext ctx) throws StepFailure {
        Result r = actions.run(argv, ctx.remaining());
        if (!r.ok()) {
            throw new StepFailure(what + " failed: " + r.describe());
        }
    }

    public CommandRunner actions() {
        return actions;
    }

    private List<String> expand(Kind kind, ServiceAddress a) {
        return commands.get(kind).expand(Map.of("address", a.address(), "prefix", Integer.toString(a.prefix()),
                "interface", a.device()));
    }
}
