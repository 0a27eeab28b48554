package io.mirrorgate.orchestrator.cli;

import picocli.CommandLine.Command;

/** {@code fsck-orchestrator demote [--dry-run]}. */
@Command(name = "demote", mixinStandardHelpOptions = true,
        description = {"Hand the role back cleanly: the takeover plan in reverse.",
            "Stop the services (in reverse order), drop the service addresses, unmount and",
            "detach the volumes, make every resource secondary",
            "(replicator role R secondary), notify. Exit 1 when a step fails."})
final class DemoteCommand extends PlanCommand {
    @Override
    public Integer call() {
        var config = parent.loadConfig();
        return finish(config, plans(config).demote("demote"));
    }
}
