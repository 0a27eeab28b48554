package io.mirrorgate.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.control.ControlClient;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Asks the running daemon over its control socket. */
final class DaemonControl {
    private DaemonControl() {}

    /** The daemon's status; empty when no daemon answers. */
    static Optional<JsonNode> status(Path socket) {
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        try {
            JsonNode reply = ControlClient.call(socket, "status", Map.of());
            if (!reply.path("ok").asBoolean(false)) {
                throw ControlClient.failure(reply, "the orchestrator answered: ");
            }
            return Optional.of(reply);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * After a plan run by the command line: the running daemon (if any) asks the replicator again
     * at once, so that its next heartbeat carries this node's new role (not the one of up to
     * {@code status_interval} ago). Quiet when no daemon runs.
     */
    static void refresh(Path socket) {
        if (Files.exists(socket)) {
            try {
                ControlClient.call(socket, "refresh", Map.of());
            } catch (IOException noDaemon) {
                // nothing to tell
            }
        }
    }

    static MirrorgateException notRunning(Path socket) {
        return new MirrorgateException(ErrorCode.ECONNREFUSED, "the orchestrator is not running (no answer on "
                + socket + "; start it with fsck-orchestrator run)");
    }
}
