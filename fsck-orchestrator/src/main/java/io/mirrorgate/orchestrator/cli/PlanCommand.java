package io.mirrorgate.orchestrator.cli;

import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.DryRunRunner;
import io.mirrorgate.orchestrator.takeover.PlanRecord;
import io.mirrorgate.orchestrator.takeover.Plans;
import io.mirrorgate.orchestrator.takeover.ReplicatorSocketRunner;
import io.mirrorgate.orchestrator.takeover.StateStore;
import io.mirrorgate.orchestrator.takeover.StepOutcome;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Subcommand;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * What {@code promote-standby} and {@code demote} share: {@code --dry-run}, the plans with real
 * runners, or with {@code --dry-run} a runner that prints each changing command (queries still
 * look at the system) and a state store that keeps nothing, and the exit code of a plan.
 */
abstract class PlanCommand extends Subcommand<OrchestratorMain> {
    @Option(names = "--dry-run", description = "Print each command the plan would run; change nothing.")
    boolean dryRun;

    /** The plans of {@code config}, printing on this command's output. */
    Plans plans(OrchestratorConfig config) {
        PrintWriter out = out();
        CommandRunner queries = ReplicatorSocketRunner.wrap(config.replicator(), parent.runner);
        CommandRunner actions = dryRun ? new DryRunRunner(out) : queries;
        StateStore store = dryRun ? StateStore.none() : new StateStore(config.stateDir());
        return new Plans(config, actions, queries, store, line -> {
            out.println(line);
            out.flush();
        }, System::currentTimeMillis);
    }

    /** The exit code of a finished plan; after a real run, the daemon refreshes its view of this node. */
    int finish(OrchestratorConfig config, PlanRecord record) {
        if (!dryRun) {
            DaemonControl.refresh(config.control());
        }
        return record.outcome() == StepOutcome.OK ? ExitCodes.OK : ExitCodes.FAILURE;
    }
}
