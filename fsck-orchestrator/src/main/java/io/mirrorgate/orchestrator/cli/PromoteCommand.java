package io.mirrorgate.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.takeover.Plans;
import io.mirrorgate.orchestrator.takeover.ReplicaStatus;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fsck-orchestrator promote-standby [--dry-run] [--force]}. */
@Command(name = "promote-standby", mixinStandardHelpOptions = true,
        description = {"Run the takeover plan on this node now.",
            "Fence, take the primary role of every resource, fsck, mount, bring up the service",
            "addresses, start the services, notify.",
            "Refused (exit 65) while the peer is alive and primary, as the running daemon's",
            "heartbeats (or, without a daemon, the replicator) say; --force fences the peer and",
            "takes the role anyway. Exit 1 when a step fails (the message names it)."})
final class PromoteCommand extends PlanCommand {
    @Option(names = "--force", description = "Take over even while the peer is alive and primary (fences it).")
    boolean force;

    @Override
    public Integer call() {
        OrchestratorConfig config = parent.loadConfig();
        Plans plans = plans(config);
        if (!force) {
            peerAliveAndPrimary(config, plans).ifPresent(why -> {
                throw new MirrorgateException(ErrorCode.EINVAL, "refused: " + why + " (demote it first, or use"
                        + " --force to fence it and take over)");
            });
        }
        String reason = "promote-standby" + (force ? " --force" : "");
        return finish(config, plans.takeover(reason, force));
    }

    /** Why the peer counts as alive and primary, if it does. */
    private Optional<String> peerAliveAndPrimary(OrchestratorConfig config, Plans plans) {
        Optional<JsonNode> daemon = DaemonControl.status(config.control());
        if (daemon.isPresent()) {
            JsonNode peer = daemon.get().path("peer");
            String liveness = peer.path("liveness").asText();
            if ((liveness.equals("alive") || liveness.equals("late")) && peer.path("role").asText().equals("primary")) {
                return Optional.of("the peer " + config.peerNode() + " is alive and primary (heartbeat "
                        + peer.path("ageMs").asLong() + "ms ago, epoch " + peer.path("epoch").asLong() + ")");
            }
            return Optional.empty();
        }
        try {
            List<ReplicaStatus> status = plans.replicator().status(config.stepTimeout());
            for (ReplicaStatus r : status) {
                if (r.peerConnected() && r.peerPrimary()) {
                    return Optional.of("the peer is connected and primary for " + r.resource()
                            + " (the replicator says so; no orchestrator daemon answers)");
                }
            }
        } catch (IOException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("fsck-orchestrator: warning: cannot check the peer (" + e.getMessage() + ")");
            err.flush();
        }
        return Optional.empty();
    }
}
