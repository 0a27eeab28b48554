package io.mirrorgate.orchestrator.cli;

import io.mirrorgate.common.cli.Subcommand;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.orchestrator.takeover.PlanRecord;
import io.mirrorgate.orchestrator.takeover.StateStore;
import io.mirrorgate.common.cli.ExitCodes;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fsck-orchestrator status [--json]}. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show both nodes, the peer's heartbeats and the last plan.",
            "Asks the running daemon: both nodes (role, epoch, resources), the peer's last",
            "heartbeat and its age, the heartbeat counters (accepted, forged, replayed, ...),",
            "the current decision, and the last plan with each step's outcome and duration.",
            "When the daemon is not running: the last plan from the state file, and exit 69."})
final class StatusCommand extends Subcommand<OrchestratorMain> {
    @Option(names = "--json", description = "Print the status as one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        var config = parent.loadConfig();
        PrintWriter out = out();
        Optional<JsonNode> answer = DaemonControl.status(config.control());
        if (answer.isEmpty()) {
            // no daemon: what the state file says of the last plan is still worth showing
            Optional<PlanRecord> last = new StateStore(config.stateDir()).load();
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put("running", false);
                o.set("lastPlan", last.map(r -> (JsonNode) r.toJson()).orElse(NullNode.getInstance()));
                out.println(o);
            } else {
                plan(last.map(PlanRecord::toJson).map(JsonNode.class::cast).orElse(NullNode.getInstance()), out);
            }
            out.flush();
            throw DaemonControl.notRunning(config.control());
        }
        JsonNode reply = answer.get();
        if (json) {
            ObjectNode copy = reply.deepCopy();
            copy.remove("ok");
            out.println(copy);
        } else {
            text(reply, out);
        }
        out.flush();
        return ExitCodes.OK;
    }

    static void text(JsonNode s, PrintWriter out) {
        JsonNode node = s.path("node");
        out.printf("node %s: %s, epoch %d%s%s%n", node.path("name").asText(), node.path("role").asText(),
                node.path("epoch").asLong(), node.path("fenced").asBoolean() ? ", FENCED" : "",
                node.path("error").isTextual() ? " (" + node.path("error").asText() + ")" : "");
        for (JsonNode r : node.path("resources")) {
            out.printf("  %s %s %s epoch %d%n", r.path("resource").asText(), r.path("role").asText(),
                    r.path("state").asText(), r.path("epoch").asLong());
        }
        JsonNode peer = s.path("peer");
        String heard = peer.path("lastHeartbeat").isNumber()
                ? "last heartbeat " + Instant.ofEpochMilli(peer.path("lastHeartbeat").asLong()) + ", "
                + String.format("%.1f", peer.path("ageMs").asLong() / 1000.0) + "s ago"
                : "no heartbeat yet (" + String.format("%.1f", peer.path("ageMs").asLong() / 1000.0) + "s)";
        out.printf("peer %s (%s): %s, %s, epoch %d, %s%n", peer.path("name").asText(), peer.path("address").asText(),
                peer.path("liveness").asText(), peer.path("role").asText(), peer.path("epoch").asLong(), heard);
        for (JsonNode r : peer.path("resources")) {
            out.printf("  %s %s %s epoch %d%n", r.path("resource").asText(), r.path("role").asText(),
                    r.path("state").asText(), r.path("epoch").asLong());
        }
        StringBuilder counters = new StringBuilder("heartbeats:");
        s.path("heartbeats").fields().forEachRemaining(e -> counters.append(' ').append(e.getKey()).append('=')
                .append(e.getValue().asLong()));
        out.println(counters);
        out.println("decision: " + s.path("decision").asText());
        plan(s.path("lastPlan"), out);
    }

    static void plan(JsonNode p, PrintWriter out) {
        if (p.isMissingNode() || p.isNull()) {
            out.println("last plan: none");
            return;
        }
        out.printf("last plan: %s %s, started %s, reason: %s%s%n", p.path("plan").asText(), p.path("outcome").asText(),
                Instant.ofEpochMilli(p.path("startedAt").asLong()), p.path("reason").asText(),
                p.path("error").isTextual() ? "; error: " + p.path("error").asText() : "");
        for (JsonNode step : p.path("steps")) {
            out.printf("  %-15s %-8s %7dms  %s%n", step.path("step").asText(), step.path("outcome").asText(),
                    step.path("durationMs").asLong(), step.path("detail").asText());
        }
    }
}
