package io.mirrorgate.client.cli;

import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import picocli.CommandLine.Command;

/** {@code ggate-client detach ID}: ends an attachment after its requests in flight finish. */
@Command(name = "detach", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "End attachment ID: its NBD clients are drained, then it disconnects.")
final class DetachCommand extends AttachmentCommand {
    @Override
    public Integer call() {
        send("detach");
        out().println(id + " detached");
        return ExitCodes.OK;
    }
}
