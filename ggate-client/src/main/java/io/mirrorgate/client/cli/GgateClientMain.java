package io.mirrorgate.client.cli;

import io.mirrorgate.client.control.RunDirectory;
import io.mirrorgate.common.cli.Cli;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ggate-client}: attaches remote ggate exports and serves each on a local NBD endpoint
 * (the {@code ggatec} of Mirrorgate), and lists, detaches and rescues running attachments.
 */
@Command(name = "ggate-client", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        subcommands = {AttachCommand.class, ListCommand.class, DetachCommand.class,
            RescueCommand.class},
        description = {
            "Use a remote ggate export as a local disk.",
            "",
            "'attach' connects to a ggate-server and serves the export on a local NBD endpoint",
            "(for qemu-img, nbdcopy, nbdfuse or the kernel's nbd-client); it runs in the",
            "foreground and prints the endpoint's URI as its first line of output.",
            "'list', 'detach' and 'rescue' talk to running attachments."},
        footer = {"", "Exit codes: 0 ok, 64 usage, 66 no such attachment, 69 server unreachable,",
            "74 I/O error, 77 refused (host, key, access or fenced)."})
public final class GgateClientMain implements Callable<Integer> {

    @Option(names = "--run-dir", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "Where attachments keep their control sockets "
                    + "(default: $MIRRORGATE_RUN_DIR or /run/mirrorgate/ggate-client).")
    Path runDir;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    RunDirectory runDirectory() {
        return new RunDirectory(runDir != null ? runDir : RunDirectory.defaultPath());
    }

    @Override
    public Integer call() {
        return Cli.missingSubcommand(spec);
    }

    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        return Cli.newCommandLine(new GgateClientMain(), out, err);
    }

    public static void main(String[] args) {
        Cli.main(GgateClientMain::newCommandLine, args);
    }
}
