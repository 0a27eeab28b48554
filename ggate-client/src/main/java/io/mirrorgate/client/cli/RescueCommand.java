package io.mirrorgate.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.cli.Cli;
import io.mirrorgate.common.cli.ExitCodes;
import picocli.CommandLine.Command;

/** {@code ggate-client rescue ID}: reconnect now an attachment whose server went away. */
@Command(name = "rescue", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = {"Reconnect attachment ID to its server now.",
            "Instead of waiting for the next retry; requests waiting are sent again once it is back."})
final class RescueCommand extends AttachmentCommand {
    @Override
    public Integer call() {
        JsonNode info = send("rescue");
        out().println(id + " reconnecting to " + info.path("remote").asText()
                + " (state: " + info.path("state").asText() + ")");
        return ExitCodes.OK;
    }
}
