package io.mirrorgate.orchestrator.takeover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.orchestrator.platform.CommandRunner;
import io.mirrorgate.orchestrator.platform.ProcessRunner;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The address step for real, in two network namespaces joined by a veth pair: a "node" whose
 * plan brings the service address up (the command set overridden to run {@code ip} and {@code
 * arping} in its namespace) and a "client" whose neighbour entry for that address points at a
 * stale MAC. After the takeover the address is up on the node, and the client's entry points at
 * the node's MAC (gratuitous ARP, not a cache timeout); a second run changes nothing; demote
 * drops the address. Runs as root; the namespaces are deleted even when the test fails.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EndToEnd
class ServiceAddressNamespaceTest {
    private static final String STALE_MAC = "02:00:00:00:00:99";

    @TempDir
    Path dir;

    private final CommandRunner shell = new ProcessRunner();
    private final List<String> namespaces = new ArrayList<>();
    private String node;
    private String client;

    @BeforeEach
    void createNamespaces() {
        ExternalTools.requireRoot();
        ExternalTools.require("ip");
        ExternalTools.require("arping");
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 24));
        node = "mgt-node-" + suffix;
        client = "mgt-client-" + suffix;
        ip("netns", "add", node);
        namespaces.add(node);
        ip("netns", "add", client);
        namespaces.add(client);
        ip("link", "add", "vnode", "netns", node, "type", "veth", "peer", "name", "vclient", "netns", client);
        ip("-n", node, "link", "set", "vnode", "up");
        ip("-n", client, "link", "set", "vclient", "up");
        ip("-n", client, "addr", "add", "192.0.2.10/24", "dev", "vclient");
        ip("-n", client, "neigh", "replace", "192.0.2.50", "lladdr", STALE_MAC, "dev", "vclient", "nud", "stale");
    }

    @AfterEach
    void deleteNamespaces() {
        for (String ns : namespaces) {
            shell.run(List.of("ip", "netns", "del", ns), Duration.ofSeconds(10)); // the veth pair goes with them
        }
    }

    private String ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        CommandRunner.Result r = shell.run(argv, Duration.ofSeconds(10));
        assertTrue(r.ok(), String.join(" ", argv) + ": " + r.describe());
        return r.output();
    }

    private OrchestratorConfig config() {
        String in = "\"ip\", \"-n\", \"" + node + "\", ";
        return OrchestratorConfig.parse("node = \"alpha\"\naddress = \"127.0.0.1\"\nplatform = \"linux\"\n"
                + "replicator = [\"true\"]\nstate_dir = \"" + dir.resolve("state") + "\"\n"
                + "control = \"" + dir.resolve("o.sock") + "\"\n"
                + "[peer]\nnode = \"beta\"\naddress = \"127.0.0.2\"\n"
                + "[heartbeat]\nkey_file = \"/nonexistent/key\"\n"
                + "[resource.r0]\n"
                + "[[service_address]]\naddress = \"192.0.2.50/24\"\ninterface = \"vnode\"\n"
                + "[commands]\n"
                + "addr_add = [" + in + "\"addr\", \"add\", \"{address}/{prefix}\", \"dev\", \"{interface}\"]\n"
                + "addr_del = [" + in + "\"addr\", \"del\", \"{address}/{prefix}\", \"dev\", \"{interface}\"]\n"
                + "addr_show = [" + in + "\"-o\", \"addr\", \"show\", \"dev\", \"{interface}\"]\n"
                + "announce = [\"ip\", \"netns\", \"exec\", \"" + node + "\", \"arping\", \"-U\", \"-c\", \"3\", \"-I\","
                + " \"{interface}\", \"{address}\"]\n", "netns.toml");
    }

    private String clientNeighbour() {
        return ip("-n", client, "neigh", "show", "192.0.2.50", "dev", "vclient");
    }

    @Test
    void takeoverBringsTheAddressUpAndTheClientLearnsTheNewMacAtOnce() throws Exception {
        String nodeMac = ip("-n", node, "-o", "link", "show", "vnode").replaceAll("(?s).*link/ether (\\S+).*", "$1");
        assertTrue(clientNeighbour().contains(STALE_MAC), clientNeighbour());
        Plans plans = new Plans(config(), shell, shell, new StateStore(dir.resolve("state")), line -> { },
                System::currentTimeMillis);

        PlanRecord r = plans.takeover("netns test", true);

        assertEquals(StepOutcome.OK, r.outcome(), r.steps().toString());
        assertTrue(ip("-n", node, "-o", "addr", "show", "dev", "vnode").contains("inet 192.0.2.50/24"));
        assertTrue(r.steps().get(6).detail().contains("192.0.2.50 announced"), r.steps().get(6).toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!clientNeighbour().contains(nodeMac) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(clientNeighbour().contains("lladdr " + nodeMac), "client: " + clientNeighbour() + " node: " + nodeMac);

        PlanRecord again = plans.takeover("netns test, again", true);
        assertEquals(StepOutcome.OK, again.outcome(), again.steps().toString());
        assertTrue(again.steps().get(4).detail().contains("already up"), again.steps().get(4).toString());

        PlanRecord demoted = plans.demote("netns test");
        assertEquals(StepOutcome.OK, demoted.outcome(), demoted.steps().toString());
        assertFalse(ip("-n", node, "-o", "addr", "show", "dev", "vnode").contains("192.0.2.50"));
    }
}
