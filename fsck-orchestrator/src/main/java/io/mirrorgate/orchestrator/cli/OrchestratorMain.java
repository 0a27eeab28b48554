package io.mirrorgate.orchestrator.cli;

import io.mirrorgate.server.cli.Cli;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fsck-orchestrator}: the failover manager. The heartbeat and the takeover plan
 * (fence, take the primary role, fsck, mount, service IPs, services, notify) are the next
 * stage of the project; for now the program carries the command-line frame they will live in.
 */
@Command(name = "fsck-orchestrator", mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        description = {
            "Mirrorgate failover manager: watches the peer and promotes the standby.",
            "",
            "The takeover plan (fence, promote, fsck, mount, service IPs, services, notify)",
            "is not part of this release yet: this program has its command-line frame only."})
public final class OrchestratorMain implements Callable<Integer> {

    @Option(names = "--verbose", description = "Print stack traces of failures.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        return Cli.newCommandLine(new OrchestratorMain(), out, err);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(newCommandLine(out, err).execute(args));
    }
}
