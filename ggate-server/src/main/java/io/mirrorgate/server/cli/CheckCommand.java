package io.mirrorgate.server.cli;

import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.export.ExportsFile;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ggate-server check}: validates the exports file and the key, opening nothing. */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Validate the exports file and print the exports; opens no device.")
final class CheckCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    GgateServerMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ExportsFile file = ExportsFile.load(parent.exports);
        GgateDaemon.readKey(parent.keyFile);
        PrintWriter out = spec.commandLine().getOut();
        file.rules().forEach(rule -> out.printf("%s:%d: %s %s %s (nbd name: %s)%n", parent.exports,
                rule.line(), rule.hosts(), rule.access(), rule.path(), rule.name()));
        out.printf("%s: %d exports, ok%n", parent.exports, file.exports().size());
        return ExitCodes.OK;
    }
}
