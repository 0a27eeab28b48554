package io.mirrorgate.replicator.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.replicator.config.Role;
import io.mirrorgate.replicator.generation.SplitBrainResolution;
import io.mirrorgate.replicator.generation.SyncDecision;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands of the replicator's control socket (one JSON line each way):
 *
 * <pre>
 * {"command":"status"}                          -&gt; {"ok":true,"node":"alpha","resources":[{...}]}
 * {"command":"status","resource":"r0"}          -&gt; the same with one resource
 * {"command":"resolve","resource":"r0","discard":"remote"}
 *                                               -&gt; {"ok":true,"decision":"DISCARD_REMOTE","message":"..."}
 * {"command":"retry","resource":"r0"}           -&gt; {"ok":true} (re-runs the connection decision)
 * {"command":"role","resource":"r0","role":"primary","force":false,"acceptInconsistent":false}
 *                                               -&gt; {"ok":true,"role":"primary","epoch":4,"message":"..."}
 * {"command":"fence","resource":"r0"}           -&gt; {"ok":true,"epoch":5,"message":"..."}
 * </pre>
 *
 * A failure is {@code {"ok":false,"error":"...","code":"EINVAL"}}; the resource objects are
 * described in {@link StatusJson}.
 */
final class ControlHandler implements Function<JsonNode, ObjectNode> {
    private static final Logger LOG = LoggerFactory.getLogger(ControlHandler.class);
    private static final long RESOLVE_TIMEOUT_S = 60;

    private final ObjectMapper json = new ObjectMapper();
    private final String node;
    private final Map<String, RunningResource> resources;

    ControlHandler(String node, Map<String, RunningResource> resources) {
        this.node = node;
        this.resources = resources;
    }

    @Override
    public ObjectNode apply(JsonNode request) {
        String command = request.path("command").asText("");
        try {
            return switch (command) {
                case "status" -> status(request);
                case "resolve" -> resolve(request);
                case "retry" -> retry(request);
                case "role" -> role(request);
                case "fence" -> fence(request);
                default -> throw new MirrorgateException(ErrorCode.EINVAL, "unknown command \"" + command
                        + "\" (expected: status, resolve, retry, role or fence)");
            };
        } catch (RuntimeException e) {
            ObjectNode error = json.createObjectNode();
            error.put("ok", false);
            error.put("error", MirrorgateException.messageOf(e));
            error.put("code", MirrorgateException.codeOf(e).name());
            return error;
        }
    }

    private ObjectNode status(JsonNode request) {
        List<RunningResource> selected = request.hasNonNull("resource")
                ? List.of(resource(request)) : List.copyOf(resources.values());
        ObjectNode reply = ok();
        reply.put("node", node);
        ArrayNode list = reply.putArray("resources");
        selected.forEach(r -> list.add(StatusJson.of(json, r)));
        return reply;
    }

    private ObjectNode resolve(JsonNode request) {
        RunningResource r = resource(request);
        SplitBrainResolution resolution;
        try {
            resolution = SplitBrainResolution.parse("discard-" + request.path("discard").asText(""));
        } catch (IllegalArgumentException e) {
            throw new MirrorgateException(ErrorCode.EINVAL, "discard: \"" + request.path("discard").asText("")
                    + "\" (expected: local or remote)", e);
        }
        LOG.warn("split brain resolution requested resource={} resolution={}", r.name(), resolution);
        SyncDecision decision;
        try {
            decision = r.runtime().resolveSplitBrain(resolution, Optional.empty())
                    .get(RESOLVE_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MirrorgateException(ErrorCode.EIO, "interrupted while resolving " + r.name(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException re ? re
                    : new MirrorgateException(ErrorCode.EIO, MirrorgateException.messageOf(cause), cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new MirrorgateException(ErrorCode.ETIMEDOUT, "resolving " + r.name() + " took longer than "
                    + RESOLVE_TIMEOUT_S + " s", e);
        }
        ObjectNode reply = ok();
        reply.put("resource", r.name());
        reply.put("decision", decision.outcome().name());
        reply.put("message", decision.message());
        return reply;
    }

    private ObjectNode retry(JsonNode request) {
        RunningResource r = resource(request);
        r.runtime().retryPeer();
        ObjectNode reply = ok();
        reply.put("resource", r.name());
        return reply;
    }

    private ObjectNode role(JsonNode request) {
        RunningResource r = resource(request);
        String wanted = request.path("role").asText("");
        Role role = switch (wanted) {
            case "primary" -> Role.PRIMARY;
            case "secondary" -> Role.SECONDARY;
            default -> throw new MirrorgateException(ErrorCode.EINVAL, "role: \"" + wanted
                    + "\" (expected: primary or secondary)");
        };
        boolean force = request.path("force").asBoolean(false);
        boolean acceptInconsistent = request.path("acceptInconsistent").asBoolean(false);
        LOG.warn("role change requested resource={} role={} force={} acceptInconsistent={}", r.name(),
                wanted, force, acceptInconsistent);
        String message = r.changeRole(role, force, acceptInconsistent);
        ObjectNode reply = ok();
        reply.put("resource", r.name());
        reply.put("role", StatusJson.lower(r.role()));
        reply.put("epoch", r.endpoint().epoch());
        reply.put("message", message);
        return reply;
    }

    private ObjectNode fence(JsonNode request) {
        RunningResource r = resource(request);
        LOG.warn("fence requested resource={}", r.name());
        String message = r.fence();
        ObjectNode reply = ok();
        reply.put("resource", r.name());
        reply.put("epoch", r.endpoint().epoch());
        reply.put("message", message);
        return reply;
    }

    private RunningResource resource(JsonNode request) {
        String name = request.path("resource").asText("");
        RunningResource r = resources.get(name);
        if (r == null) {
            throw new MirrorgateException(ErrorCode.ENOENT, "no running resource \"" + name + "\" (running: "
                    + String.join(", ", resources.keySet()) + ")");
        }
        return r;
    }

    private ObjectNode ok() {
        ObjectNode reply = json.createObjectNode();
        reply.put("ok", true);
        return reply;
    }
}
