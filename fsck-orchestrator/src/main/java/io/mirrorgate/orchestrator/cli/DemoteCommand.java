package io.mirrorgate.orchestrator.cli;

import io.mirrorgate.common.cli.Subcommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fsck-orchestrator demote [--dry-run]}. */
@Command(name = "demote", mixinStandardHelpOptions = true,
        description = {"Hand the role back cleanly: the takeover plan in reverse.",
            "Stop the services (in reverse order), drop the service addresses, unmount and",
            "detach the volumes, make every resource secondary",
            "(replicator role R secondary), notify. Exit 1 when a step fails."})
final class DemoteCommand extends Subcommand<OrchestratorMain> {
    @Option(names = "--dry-run", description = "Print each command the plan would run; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        var config = parent.loadConfig();
        var plans = PlanCommands.plans(config, parent.runner, dryRun, out());
        return PlanCommands.finish(config, dryRun, plans.demote("demote"));
    }
}
