package io.mirrorgate.orchestrator.takeover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mirrorgate.common.control.ControlServer;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replicator's fence, role and status go over its control socket with the command line's
 * exit codes; other commands, and a replicator whose configuration cannot be read, use the
 * command line.
 */
class ReplicatorSocketRunnerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration T = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final List<JsonNode> requests = new ArrayList<>();
    private final List<List<String>> delegated = new ArrayList<>();

    private final CommandRunner delegate = (argv, env, timeout) -> {
        delegated.add(argv);
        return CommandRunner.Result.success("delegated");
    };

    @Test
    void fenceRoleAndStatusGoOverTheSocketWithTheCommandLinesExitCodes() throws Exception {
        Path socket = dir.resolve("replicator.sock");
        List<String> replicator = List.of("replicator", "-c", writeConfig(socket).toString());
        try (ControlServer server = ControlServer.start(socket, this::answer)) {
            CommandRunner runner = ReplicatorSocketRunner.wrap(replicator, delegate);
            CommandRunner.Result role = runner.run(concat(replicator, "role", "r0", "primary", "--force"), T);
            assertEquals(0, role.exitCode(), role.describe());
            assertEquals("resource r0 is now primary", role.output().strip());
            assertEquals("{\"command\":\"role\",\"resource\":\"r0\",\"role\":\"primary\",\"force\":true}",
                    requests.get(0).toString());

            CommandRunner.Result status = runner.run(concat(replicator, "status", "--json"), T);
            assertEquals(0, status.exitCode());
            assertTrue(JSON.readTree(status.output()).isArray(), status.output());

            CommandRunner.Result refused = runner.run(concat(replicator, "fence", "busy"), T);
            assertEquals(ReplicatorControl.REFUSED, refused.exitCode());
            assertEquals("node alpha is connected as primary", refused.errors());
            assertEquals(ReplicatorControl.NO_SUCH_RESOURCE,
                    runner.run(concat(replicator, "fence", "nope"), T).exitCode());

            runner.run(List.of("ip", "addr", "add", "10.0.0.1/24", "dev", "eth0"), T);
            assertEquals(List.of(List.of("ip", "addr", "add", "10.0.0.1/24", "dev", "eth0")), delegated);
            CompletableFuture<CommandRunner.Result> background = new CompletableFuture<>();
            CommandRunner backgrounding = new CommandRunner() {
                @Override
                public Result run(List<String> argv, Map<String, String> env, Duration timeout) {
                    throw new AssertionError("must run in the background: " + argv);
                }

                @Override
                public CompletableFuture<Result> runInBackground(List<String> argv, Duration timeout) {
                    return background;
                }
            };
            assertSame(background, ReplicatorSocketRunner.wrap(replicator, backgrounding)
                    .runInBackground(List.of("arping", "-U", "-c", "3", "10.0.0.1"), T),
                    "a background command stays in the background (the gratuitous ARP beside the services)");
        }
        CommandRunner.Result gone = ReplicatorSocketRunner.wrap(replicator, delegate)
                .run(concat(replicator, "status", "--json"), T);
        assertEquals(ReplicatorControl.NOT_RUNNING, gone.exitCode(), gone.describe());
        assertTrue(gone.errors().contains("not running"), gone.errors());
    }

    @Test
    void withoutAReadableReplicatorConfigurationTheCommandLineIsUsed() {
        assertSame(delegate, ReplicatorSocketRunner.wrap(List.of("replicator", "-c", dir.resolve("none.toml")
                .toString()), delegate));
    }

    private Path writeConfig(Path socket) throws Exception {
        Path config = dir.resolve("replicator.toml");
        Files.writeString(config, "node = \"beta\"\ncontrol = \"" + socket + "\"\nmetrics = \"off\"\n\n"
                + "[resource.r0]\nlocal = \"/data/r0.img\"\nremote = \"alpha:7790\"\nlisten = \"0.0.0.0:7790\"\n");
        return config;
    }

    private ObjectNode answer(JsonNode request) {
        requests.add(request);
        ObjectNode reply = JSON.createObjectNode();
        String resource = request.path("resource").asText("");
        if (resource.equals("busy")) {
            return reply.put("ok", false).put("error", "node alpha is connected as primary").put("code", "EBUSY");
        }
        if (resource.equals("nope")) {
            return reply.put("ok", false).put("error", "no running resource").put("code", "ENOENT");
        }
        reply.put("ok", true);
        if (request.path("command").asText().equals("status")) {
            reply.putArray("resources").addObject().put("resource", "r0").put("role", "secondary");
        } else {
            reply.put("message", "resource r0 is now primary");
        }
        return reply;
    }

    private static List<String> concat(List<String> prefix, String... args) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(args));
        return all;
    }

}
