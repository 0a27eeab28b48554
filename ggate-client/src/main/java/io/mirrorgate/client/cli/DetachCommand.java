package io.mirrorgate.client.cli;

import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ggate-client detach ID}: ends an attachment after its requests in flight finish. */
@Command(name = "detach", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "End attachment ID: its NBD clients are drained, then it disconnects.")
final class DetachCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    GgateClientMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "The attachment (see list), e.g. ggate0.")
    String id;

    @Override
    public Integer call() {
        ControlRequest.send(parent.runDirectory(), id, "detach");
        spec.commandLine().getOut().println(id + " detached");
        return ExitCodes.OK;
    }
}
