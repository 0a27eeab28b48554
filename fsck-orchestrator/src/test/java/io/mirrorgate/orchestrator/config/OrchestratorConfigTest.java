package io.mirrorgate.orchestrator.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.orchestrator.platform.CommandSet.Kind;
import io.mirrorgate.orchestrator.platform.Platform;
import io.mirrorgate.orchestrator.testing.TestConfigs;
import io.mirrorgate.common.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrchestratorConfigTest {
    @TempDir
    Path dir;

    private static final String MINIMAL = "node = \"alpha\"\naddress = \"10.0.0.1\"\n"
            + "[peer]\nnode = \"beta\"\naddress = \"10.0.0.2\"\n"
            + "[heartbeat]\nkey_file = \"/etc/mirrorgate/ggate.key\"\n"
            + "[resource.r0]\n";

    private static String error(String text) {
        return assertThrows(ConfigException.class, () -> OrchestratorConfig.parse(text, "o.toml")).getMessage();
    }

    @Test
    void aCompleteConfigurationIsReadWithEveryValue() {
        OrchestratorConfig c = TestConfigs.linux(dir);
        assertEquals("alpha", c.node());
        assertEquals("beta", c.peerNode());
        assertEquals("127.0.0.2:694", c.peerEndpoint());
        assertEquals(Duration.ofMillis(200), c.heartbeat().keepalive());
        assertEquals(Duration.ofSeconds(2), c.heartbeat().initdead());
        assertEquals(List.of("replicator", "-c", "/etc/r.toml"), c.replicator());
        ResourcePlan r0 = c.resources().get(0);
        assertEquals(Optional.of("/dev/nbd0"), r0.device());
        assertEquals(List.of("e2fsck", "-p", "-f", "/dev/nbd0"), r0.fsck());
        assertEquals(Optional.of(Path.of("/srv/r0")), r0.mountPoint());
        assertEquals(new ServiceAddress("192.0.2.50", 24, "eth0"), c.addresses().get(0));
        assertEquals(List.of("db", "web"), c.services().stream().map(ServiceCommands::name).toList());
        assertEquals(List.of("svc", "status", "db"), c.services().get(0).status());
        assertEquals(Platform.LINUX, c.commands().platform());
    }

    @Test
    void defaultsFillAMinimalConfiguration() {
        OrchestratorConfig c = OrchestratorConfig.parse(MINIMAL, "o.toml");
        assertEquals(694, c.heartbeat().port());
        assertEquals(Duration.ofSeconds(1), c.heartbeat().keepalive());
        assertEquals(Duration.ofSeconds(5), c.heartbeat().warntime());
        assertEquals(Duration.ofSeconds(10), c.heartbeat().deadtime());
        assertEquals(Duration.ofSeconds(30), c.heartbeat().initdead());
        assertEquals(List.of("replicator", "-c", "/etc/mirrorgate/replicator.toml"), c.replicator());
        assertFalse(c.autoFailback());
        assertEquals(Path.of("/var/lib/mirrorgate/orchestrator"), c.stateDir());
        assertTrue(c.resources().get(0).fsck().isEmpty(), "no device: no fsck");
        assertTrue(c.heartbeat().ping().isEmpty());
    }

    @Test
    void aResourcesOwnFsckTakesTheDevicePlaceholder() {
        OrchestratorConfig c = OrchestratorConfig.parse(MINIMAL + "device = \"/dev/nbd1\"\n"
                + "fsck = [\"e2fsck\", \"-f\", \"-n\", \"{device}\"]\n", "o.toml");
        assertEquals(List.of("e2fsck", "-f", "-n", "/dev/nbd1"), c.resources().get(0).fsck());
        assertTrue(error(MINIMAL + "device = \"/dev/nbd1\"\nfsck = [\"fsck\", \"{disk}\"]\n")
                .startsWith("o.toml: [resource.r0]: key fsck: unknown placeholder [{disk}]"));
    }

    @Test
    void freebsdHasItsOwnCommandsAndTheyCanBeOverridden() {
        OrchestratorConfig c = OrchestratorConfig.parse(MINIMAL.replace("[peer]", "platform = \"freebsd\"\n[peer]")
                + "device = \"/dev/ggate0\"\n[commands]\nmounts = [\"mount\", \"-p\"]\n", "o.toml");
        assertEquals(List.of("fsck", "-t", "ufs", "-p", "-y", "/dev/ggate0"), c.resources().get(0).fsck());
        assertEquals(List.of("ifconfig", "em0", "inet", "10.0.0.9/24", "alias"), c.commands().get(Kind.ADDR_ADD)
                .expand(Map.of("address", "10.0.0.9", "prefix", "24", "interface", "em0")));
        assertTrue(c.commands().get(Kind.ANNOUNCE).isEmpty(), "ifconfig alias announces by itself");
        assertEquals(List.of("mount", "-p"), c.commands().get(Kind.MOUNTS).argv());
    }

    @Test
    void unknownKeysAreErrorsThatNameFileTableAndKey() {
        assertEquals("o.toml: key deadtime: unknown key (expected one of: node, address, replicator, platform, "
                + "auto_failback, home, state_dir, control, status_interval, step_timeout, fsck_timeout, notify, peer,"
                + " heartbeat, commands, resource, service_address, service)",
                error("deadtime = \"1s\"\n" + MINIMAL));
        assertTrue(error(MINIMAL.replace("[heartbeat]\n", "[heartbeat]\ndeadtme = \"1s\"\n"))
                .startsWith("o.toml: [heartbeat]: key deadtme: unknown key (expected one of: port, keepalive,"), "");
        assertTrue(error(MINIMAL + "mountpoint = \"/srv\"\n").startsWith("o.toml: [resource.r0]: key mountpoint:"
                + " unknown key"));
        assertTrue(error(MINIMAL + "[commands]\nadd_addr = [\"ip\"]\n").startsWith("o.toml: [commands]: key add_addr:"
                + " unknown key"));
    }

    @Test
    void badValuesSayWhatWasExpected() {
        assertEquals("o.toml: [heartbeat]: key keepalive: \"fast\" is not a duration (expected: a duration such as "
                + "\"500ms\", \"10s\", \"2m\")", error(MINIMAL.replace("[heartbeat]\n", "[heartbeat]\nkeepalive = \"fast\"\n")));
        assertEquals("o.toml: [heartbeat]: key warntime: 1000ms is not longer than keepalive 1000ms (expected: "
                + "keepalive < warntime <= deadtime)",
                error(MINIMAL.replace("[heartbeat]\n", "[heartbeat]\nwarntime = \"1s\"\n")));
        assertTrue(error(MINIMAL.replace("[heartbeat]\n", "[heartbeat]\ndeadtime = \"4s\"\n"))
                .startsWith("o.toml: [heartbeat]: key deadtime: 4000ms is shorter than warntime"));
        assertTrue(error(MINIMAL.replace("[heartbeat]\n", "[heartbeat]\ninitdead = \"5s\"\n"))
                .startsWith("o.toml: [heartbeat]: key initdead: 5000ms is shorter than deadtime"));
        assertTrue(error(MINIMAL.replace("[heartbeat]\n", "[heartbeat]\nport = 70000\n"))
                .contains("key port: 70000 is out of range (expected: an integer from 1 to 65535)"));
        assertTrue(error(MINIMAL.replace("[heartbeat]\n", "[heartbeat]\nping = [\"a b\"]\n"))
                .contains("key ping: \"a b\" is not a ping target"));
        assertTrue(error(MINIMAL.replace("address = \"10.0.0.2\"", "address = \"10.0.0.2/24\""))
                .startsWith("o.toml: [peer]: key address: \"10.0.0.2/24\" is not a host name or address"));
        assertTrue(error(MINIMAL.replace("node = \"beta\"", "node = \"alpha\""))
                .contains("[peer]: key node: \"alpha\" is this node's name"));
        assertTrue(error(MINIMAL.replace("[peer]", "replicator = \"replicator -c x\"\n[peer]"))
                .contains("key replicator: \"replicator -c x\" is not an array of strings"));
        assertTrue(error("auto_failback = true\n" + MINIMAL).contains("key auto_failback: true needs a home node"));
        assertTrue(error("home = \"gamma\"\n" + MINIMAL).contains("key home: \"gamma\" is neither node"));
        assertTrue(error(MINIMAL.replace("[peer]", "platform = \"solaris\"\n[peer]"))
                .contains("key platform: \"solaris\" is not a valid choice (expected: linux | freebsd)"));
    }

    @Test
    void tablesAreValidatedToo() {
        assertTrue(error(MINIMAL.replace("node = \"alpha\"\n", "")).startsWith("o.toml: key node: missing"));
        assertTrue(error(MINIMAL.replace("[peer]\nnode = \"beta\"\naddress = \"10.0.0.2\"\n", ""))
                .startsWith("o.toml: key peer: missing (expected: a [peer] table"));
        assertTrue(error(MINIMAL.replace("[resource.r0]\n", "")).startsWith("o.toml: no resource defined"));
        assertTrue(error(MINIMAL + "mount = \"/srv/r0\"\n").contains("[resource.r0]: key device: missing"));
        assertTrue(error(MINIMAL + "[[service_address]]\naddress = \"10.0.0.300/24\"\ninterface = \"eth0\"\n")
                .contains("[[service_address]] #1: key address: \"10.0.0.300/24\" is not a valid IPv4 address"));
        assertTrue(error(MINIMAL + "[[service_address]]\naddress = \"10.0.0.30\"\ninterface = \"eth0\"\n")
                .contains("key address: \"10.0.0.30\" is not an address with a prefix"));
        assertTrue(error(MINIMAL + "[[service_address]]\naddress = \"fd00::5/64\"\ninterface = \"a very long name\"\n")
                .contains("key interface: \"a very long name\" is not an interface name"));
        assertTrue(error(MINIMAL + "[[service]]\nname = \"web\"\nstart = [\"x\"]\n")
                .contains("[[service]] #1: key stop: missing"));
        assertTrue(error(MINIMAL + "[[service]]\nname = \"web\"\nstart = []\nstop = [\"x\"]\n")
                .contains("[[service]] #1: key start: is empty"));
        assertTrue(error(MINIMAL + "[commands]\naddr_add = [\"ip\", \"addr\", \"add\", \"{addr}\"]\n")
                .contains("[commands]: key addr_add: unknown placeholder {addr} (expected: {address} {interface} {prefix})"));
        assertTrue(error("node = \"alpha\"\n[peer\n").startsWith("o.toml: line 2: not valid TOML"));
    }

    @Test
    void pingTargetsAreTcpWithAPortAndIcmpWithout() {
        assertEquals(new PingTarget("10.0.0.254", 0), PingTarget.parse("10.0.0.254"));
        assertEquals(new PingTarget("gw.example.net", 22), PingTarget.parse("gw.example.net:22"));
        assertEquals(new PingTarget("fd00::1", 0), PingTarget.parse("fd00::1"));
        assertEquals(new PingTarget("fd00::1", 443), PingTarget.parse("[fd00::1]:443"));
        assertEquals(null, PingTarget.parse("host:0"));
        assertEquals(null, PingTarget.parse(":80"));
    }

    @Test
    void theReadmesExampleIsAValidConfiguration() throws Exception {
        String readme = java.nio.file.Files.readString(Path.of(System.getProperty("user.dir"), "README.md"));
        int start = readme.indexOf("```toml\n") + "```toml\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        OrchestratorConfig c = OrchestratorConfig.parse(example, "README.md");
        assertEquals("alpha", c.node());
        assertEquals(List.of("nbd-client", "-d", "/dev/nbd0"), c.resources().get(0).detach());
        assertEquals(2, c.heartbeat().ping().size());
        assertEquals(Duration.ofSeconds(10), c.heartbeat().initdead());
    }
}
