package io.mirrorgate.replicator.cli;

import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.common.cli.Cli;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code replicator}: the mirror of Mirrorgate (gmirror + hastd, DRBD). {@code create} makes a
 * resource's metadata, {@code run} serves the mirrored volumes, {@code status} and {@code
 * resolve} talk to a running replicator, {@code dump-metadata} reads a metadata file.
 */
@Command(name = "replicator", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        subcommands = {CreateCommand.class, RunCommand.class, StatusCommand.class, RoleCommand.class,
            FenceCommand.class, ResolveCommand.class, DumpMetadataCommand.class},
        description = {
            "Keep a block device identical on two machines.",
            "",
            "'create' writes a resource's metadata (dirty-region bitmap and generations).",
            "'run' runs every resource in its role: a primary mirrors to its peer and serves the",
            "mirrored volume over NBD, a secondary serves its replica to the peer's primary.",
            "'status', 'role', 'fence' and 'resolve' talk to it over its control socket.",
            "'dump-metadata' reads a metadata file, also while the replicator is stopped."},
        footer = {"", "Exit codes: 0 ok, 64 usage, 65 bad configuration or refused request,",
            "66 no such resource or file, 69 replicator not running or peer unavailable,",
            "74 I/O error, 77 permission or in use, 78 split brain."})
public final class ReplicatorMain implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            defaultValue = "/etc/mirrorgate/replicator.toml",
            description = "The configuration file (default: ${DEFAULT-VALUE}).")
    Path config;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of failures.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Reads and validates the configuration file. */
    ReplicatorConfig loadConfig() {
        return ReplicatorConfig.load(config);
    }

    @Override
    public Integer call() {
        return Cli.missingSubcommand(spec);
    }

    /** The command line, printing to {@code out} and {@code err}; a usage error exits 64. */
    public static CommandLine newCommandLine(PrintWriter out, PrintWriter err) {
        return Cli.newCommandLine(new ReplicatorMain(), out, err);
    }

    public static void main(String[] args) {
        Cli.main(ReplicatorMain::newCommandLine, args);
    }
}
