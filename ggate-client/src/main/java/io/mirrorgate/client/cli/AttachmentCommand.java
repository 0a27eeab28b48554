package io.mirrorgate.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.cli.Subcommand;
import picocli.CommandLine.Parameters;

/** A {@code ggate-client} command to one running attachment, named by its ID. */
abstract class AttachmentCommand extends Subcommand<GgateClientMain> {
    @Parameters(paramLabel = "ID", description = "The attachment (see list), e.g. ggate0.")
    String id;

    /** Sends {@code command} to the attachment's control socket; its reply. */
    JsonNode send(String command) {
        return ControlRequest.send(parent.runDirectory(), id, command);
    }
}
