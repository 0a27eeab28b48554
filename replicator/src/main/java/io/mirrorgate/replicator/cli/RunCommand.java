package io.mirrorgate.replicator.cli;

import io.mirrorgate.replicator.daemon.ReplicatorDaemon;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Signals;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
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
final class RunCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    ReplicatorMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "RESOURCE", description = "Resources to run (default: all).")
    List<String> resources = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        try (ReplicatorDaemon daemon = ReplicatorDaemon.start(parent.loadConfig(), resources)) {
            Signals.onTermination(stop::countDown);
            PrintWriter out = spec.commandLine().getOut();
            out.println(daemon.readyLine());
            out.flush();
            stop.await();
        }
        return ExitCodes.OK;
    }
}
