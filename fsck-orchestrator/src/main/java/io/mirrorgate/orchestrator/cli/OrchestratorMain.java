package io.mirrorgate.orchestrator.cli;

import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.ProcessRunner;
import io.mirrorgate.common.cli.Cli;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fsck-orchestrator}: the failover manager of Mirrorgate (Linux-HA heartbeat + HAST's
 * switch script). {@code run} watches the peer and takes over when it dies; {@code status},
 * {@code promote-standby} and {@code demote} are for the operator.
 */
@Command(name = "fsck-orchestrator", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        subcommands = {RunCommand.class, StatusCommand.class, PromoteCommand.class, DemoteCommand.class},
        description = {
            "Mirrorgate failover manager: watches the peer and promotes the standby.",
            "",
            "'run' exchanges heartbeats with the peer and, on the standby, runs the takeover plan",
            "when the primary is dead: fence, take the primary role, fsck, mount, bring up the",
            "service addresses (gratuitous ARP), start the services, notify.",
            "'promote-standby' runs that plan now; 'demote' runs it in reverse; 'status' asks the",
            "running daemon about both nodes and the last plan."},
        footer = {"", "Exit codes: 0 ok, 1 a plan step failed (the message names it), 64 usage,",
            "65 bad configuration or refused (peer alive and primary), 66 no such file,",
            "69 the daemon or the replicator is not running, 74 I/O error."})
public final class OrchestratorMain implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            defaultValue = "/etc/mirrorgate/orchestrator.toml",
            description = "The configuration file (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of failures.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the plans' commands (tests pass a fake machine). */
    final CommandRunner runner;

    OrchestratorMain(CommandRunner runner) {
        this.runner = runner;
    }

    /** Reads and validates the configuration file. */
    OrchestratorConfig loadConfig() {
        return OrchestratorConfig.load(config);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** The command line, printing to {@code out} and {@code err}; a usage error exits 64. */
    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        return newCommandLine(out, err, new ProcessRunner());
    }

    /** The command line whose plans run their commands through {@code runner}. */
    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err, CommandRunner runner) {
        return Cli.newCommandLine(new OrchestratorMain(runner), out, err);
    }

    public static void main(String[] args) {
        Cli.main(OrchestratorMain::newCommandLine, args);
    }
}
