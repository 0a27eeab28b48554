package io.mirrorgate.orchestrator.cli;

import io.mirrorgate.orchestrator.daemon.OrchestratorDaemon;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Signals;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
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
final class RunCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    OrchestratorMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        try (OrchestratorDaemon daemon = OrchestratorDaemon.start(parent.loadConfig())) {
            Signals.onTermination(stop::countDown);
            PrintWriter out = spec.commandLine().getOut();
            out.println(daemon.readyLine());
            out.flush();
            stop.await();
        }
        return ExitCodes.OK;
    }
}
