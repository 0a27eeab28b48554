package io.mirrorgate.replicator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.common.control.ControlClient;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;

/** One request to the running replicator's control socket; failures become clear errors. */
final class Control {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Control() {}

    /** Sends the command; a replicator that is not running is {@code ECONNREFUSED} (exit 69). */
    static JsonNode call(Path socket, String command, Map<String, Object> extra) {
        if (!Files.exists(socket)) {
            throw new MirrorgateException(ErrorCode.ECONNREFUSED, "the replicator is not running (no control"
                    + " socket " + socket + "; start it with replicator run)");
        }
        JsonNode reply;
        try {
            reply = ControlClient.call(socket, command, extra);
        } catch (IOException e) {
            throw new MirrorgateException(ErrorCode.ECONNREFUSED, "the replicator does not answer on " + socket
                    + ": " + e.getMessage(), e);
        }
        if (!reply.path("ok").asBoolean(false)) {
            throw ControlClient.failure(reply, "");
        }
        return reply;
    }

    /** Prints a control reply on the command's output: the JSON line with {@code --json}, else its message. */
    static void print(CommandLine.Model.CommandSpec spec, JsonNode reply, boolean json) {
        PrintWriter out = spec.commandLine().getOut();
        try {
            out.println(json ? JSON.writeValueAsString(reply) : reply.path("message").asText());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new MirrorgateException(ErrorCode.EIO, "cannot print the reply: " + e.getOriginalMessage(), e);
        }
        out.flush();
    }
}
