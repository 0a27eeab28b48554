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
import java.io.PrintWriter;

/**
 * What {@code promote-standby} and {@code demote} share: the plans with real runners, or with
 * {@code --dry-run} a runner that prints each changing command (queries still look at the
 * system) and a state store that keeps nothing.
 */
final class PlanCommands {
    private PlanCommands() {}

    static Plans plans(OrchestratorConfig config, CommandRunner runner, boolean dryRun, PrintWriter out) {
        CommandRunner queries = ReplicatorSocketRunner.wrap(config.replicator(), runner);
        CommandRunner actions = dryRun ? new DryRunRunner(out) : queries;
        StateStore store = dryRun ? StateStore.none() : new StateStore(config.stateDir());
        return new Plans(config, actions, queries, store, line -> {
            out.println(line);
            out.flush();
        }, System::currentTimeMillis);
    }

    /** The exit code of a finished plan; after a real run, the daemon refreshes its view of this node. */
    static int finish(OrchestratorConfig config, boolean dryRun, PlanRecord record) {
        if (!dryRun) {
            DaemonControl.refresh(config.control());
        }
        return record.outcome() == StepOutcome.OK ? ExitCodes.OK : ExitCodes.FAILURE;
    }
}
