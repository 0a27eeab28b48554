package io.mirrorgate.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ggate-client rescue ID}: reconnect now an attachment whose server went away. */
@Command(name = "rescue", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = {"Reconnect attachment ID to its server now.",
            "Instead of waiting for the next retry; requests waiting are sent again once it is back."})
final class RescueCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    GgateClientMain parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "The attachment (see list), e.g. ggate0.")
    String id;

    @Override
    public Integer call() {
        JsonNode info = ControlRequest.send(parent.runDirectory(), id, "rescue");
        spec.commandLine().getOut().println(id + " reconnecting to " + info.path("remote").asText()
                + " (state: " + info.path("state").asText() + ")");
        return ExitCodes.OK;
    }
}
