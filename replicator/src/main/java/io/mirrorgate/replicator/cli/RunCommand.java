package io.mirrorgate.replicator.cli;

import io.mirrorgate.common.cli.Subcommand;
import io.mirrorgate.replicator.daemon.ReplicatorDaemon;
import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code replicator run [RESOURCE...]}: serves until SIGTERM or SIGINT, then stops cleanly. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the resources in their start-up roles, in the foreground.",
            "All of them, or those named, until SIGTERM or SIGINT. Prints one line when serving:",
            "  replicator running resource=r0 nbd=127.0.0.1:10810 role=primary listen=HOST:PORT",
            "    control=PATH metrics=HOST:PORT",
            "The peer need not be up: it is connected in the background, and writes go on locally",
            "(degraded) until it is. Change a role later with: replicator role RESOURCE ROLE"})
final class RunCommand extends Subcommand<ReplicatorMain> {
    @Parameters(arity = "0..*", paramLabel = "RESOURCE", description = "Resources to run (default: all).")
    List<String> resources = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        try (ReplicatorDaemon daemon = ReplicatorDaemon.start(parent.loadConfig(), resources)) {
            Cli.serveUntilTerminated(spec, daemon.readyLine());
        }
        return ExitCodes.OK;
    }
}
