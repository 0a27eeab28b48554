package io.mirrorgate.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.control.ControlClient;
import io.mirrorgate.client.control.RunDirectory;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Sends one command to a running attachment, turning a missing or failed one into a clear error. */
final class ControlRequest {
    private ControlRequest() {}

    static JsonNode send(RunDirectory run, String id, String command) {
        Path socket = run.socket(id);
        if (!Files.exists(socket)) {
            throw new MirrorgateException(ErrorCode.ENOENT, "no attachment " + id + " (no control socket "
                    + socket + "; see ggate-client list)");
        }
        JsonNode reply;
        try {
            reply = ControlClient.call(socket, command, Map.of());
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.ECONNREFUSED, "attachment " + id
                    + " does not answer on " + socket + ": " + e.getMessage(), e);
        }
        if (!reply.path("ok").asBoolean(false)) {
            throw ControlClient.failure(reply, id + ": ");
        }
        return reply;
    }
}
