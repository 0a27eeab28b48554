package io.mirrorgate.orchestrator.cli;

import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.Subcommand;
import io.mirrorgate.orchestrator.daemon.OrchestratorDaemon;
import io.mirrorgate.common.cli.ExitCodes;
import picocli.CommandLine.Command;

/** {@code fsck-orchestrator run}: the daemon, in the foreground, until SIGTERM or SIGINT. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the daemon in the foreground, until SIGTERM or SIGINT.",
            "It exchanges heartbeats with the peer and acts on them. On the standby, a peer",
            "silent for deadtime (initdead at start-up) is declared dead and the takeover plan",
            "runs, unless ping targets are configured and none answers. A primary that learns",
            "it was superseded steps down. A plan that a crash interrupted is completed first.",
            "Prints one line when running:",
            "  fsck-orchestrator running heartbeat=ADDRESS:PORT"})
final class RunCommand extends Subcommand<OrchestratorMain> {
    @Override
    public Integer call() throws InterruptedException {
        try (OrchestratorDaemon daemon = OrchestratorDaemon.start(parent.loadConfig())) {
            Cli.serveUntilTerminated(spec, daemon.readyLine());
        }
        return ExitCodes.OK;
    }
}
