package io.mirrorgate.server.cli;

import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.common.cli.Keys;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ggate-server keygen FILE}: writes a new random shared key, readable by root only. */
@Command(name = "keygen", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Write a new random 32-byte shared key to FILE (mode 0600).")
final class KeygenCommand implements Callable<Integer> {
    @CommandLine.Parameters(paramLabel = "FILE", description = "Key file to create.")
    Path file;

    @Option(names = "--force", description = "Overwrite an existing key file.")
    boolean force;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
        Keys.generate(file, force);
        spec.commandLine().getOut().println("wrote a new 32-byte key to " + file
                + " (mode 0600); copy it to every ggate client and replicator that uses this server");
        return ExitCodes.OK;
    }
}
