package io.mirrorgate.orchestrator.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.orchestrator.platform.CommandSet;
import io.mirrorgate.orchestrator.platform.CommandTemplate;
import io.mirrorgate.orchestrator.platform.Platform;
import io.mirrorgate.common.config.ConfigException;
import io.mirrorgate.common.config.ConfigSection;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The orchestrator's configuration file, validated as a whole before anything starts, and
 * immutable. Every key is described in the README ("Configuration"); in short:
 *
 * <pre>
 * node = "alpha"                 address = "10.0.0.1"
 * replicator = ["replicator", "-c", "/etc/mirrorgate/replicator.toml"]
 * notify = ["/usr/local/bin/mail-admin"]
 * [peer]       node = "beta"  address = "10.0.0.2"
 * [heartbeat]  key_file = "/etc/mirrorgate/ggate.key"  keepalive = "200ms"  deadtime = "1s" ...
 * [resource.r0]  device = "/dev/nbd0"  mount = "/srv/r0"
 * [[service_address]]  address = "192.168.1.50/24"  interface = "eth0"
 * [[service]]  name = "web"  start = [...]  stop = [...]
 * [commands]   addr_add = ["ip", "addr", "add", "{address}/{prefix}", "dev", "{interface}"] ...
 * </pre>
 *
 * Unknown keys, wrong types and out-of-range values are errors that name the file, the table and
 * the key, and say what was expected.
 */
public record OrchestratorConfig(String source, String node, String address, String peerNode, String peerAddress,
        HeartbeatConfig heartbeat, boolean autoFailback, Optional<String> home, List<String> replicator,
        Duration statusInterval, Path stateDir, Path control, Duration stepTimeout, Duration fsckTimeout,
        List<ResourcePlan> resources, List<ServiceAddress> addresses, List<ServiceCommands> services,
        List<String> notifyCommand, CommandSet commands) {

    private static final Pattern INTERFACE = Pattern.compile("[A-Za-z0-9_.:@-]{1,15}");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final String COMMAND =
            "a command as an array of strings, e.g. [\"/usr/sbin/service\", \"nginx\", \"start\"]";

    /** Reads and validates {@code file}. */
    public static OrchestratorConfig load(Path file) {
        return parse(ConfigSection.readFile(file, "the orchestrator's TOML file, see -c"), file.toString());
    }

    /** Parses and validates {@code text}; {@code sourceName} names it in messages. */
    public static OrchestratorConfig parse(String text, String sourceName) {
        JsonNode root = ConfigSection.parseToml(text, sourceName);
        Section top = new Section(sourceName, "", root);
        String node = top.name("node", null);
        String address = host(top, "address");
        List<String> replicator = top.strings("replicator",
                List.of("replicator", "-c", "/etc/mirrorgate/replicator.toml"), false, COMMAND);
        Platform platform = top.has("platform") ? platform(top) : Platform.current();
        boolean autoFailback = top.bool("auto_failback", false);
        Optional<String> home = top.has("home") ? Optional.of(top.name("home", null)) : Optional.empty();
        Path stateDir = top.absolutePath("state_dir", "/var/lib/mirrorgate/orchestrator");
        Path control = top.absolutePath("control", "/run/mirrorgate/orchestrator.sock");
        Duration statusInterval = top.duration("status_interval", "2s", Duration.ofMillis(100), Duration.ofMinutes(10));
        Duration stepTimeout = top.duration("step_timeout", "60s", Duration.ofMillis(100), Duration.ofHours(1));
        Duration fsckTimeout = top.duration("fsck_timeout", "30m", Duration.ofSeconds(1), Duration.ofHours(48));
        List<String> notify = top.strings("notify", List.of(), true, COMMAND);

        Section peerTable = top.table("peer", "peer");
        if (peerTable == null) {
            throw top.error("peer", "missing (expected: a [peer] table with node and address)");
        }
        String peerNode = peerTable.name("node", null);
        String peerAddress = host(peerTable, "address");
        peerTable.rejectUnknownKeys();
        if (peerNode.equals(node)) {
            throw peerTable.error("node", Section.quote(peerNode) + " is this node's name (expected: the other node)");
        }
        home.ifPresent(h -> {
            if (!h.equals(node) && !h.equals(peerNode)) {
                throw top.error("home", Section.quote(h) + " is neither node (expected: \"" + node + "\" or \""
                        + peerNode + "\")");
            }
        });
        if (autoFailback && home.isEmpty()) {
            throw top.error("auto_failback", "true needs a home node (expected: home = \"" + node + "\" or \""
                    + peerNode + "\", the node that holds the resources when both are up)");
        }

        Section hbTable = top.table("heartbeat", "heartbeat");
        if (hbTable == null) {
            throw top.error("heartbeat", "missing (expected: a [heartbeat] table with at least key_file)");
        }
        HeartbeatConfig heartbeat = heartbeat(hbTable);

        CommandSet commands = CommandSet.defaults(platform);
        Section commandTable = top.table("commands", "commands");
        if (commandTable != null) {
            commands = commands(commandTable, commands);
        }

        List<ResourcePlan> resources = resources(top, commands);
        List<ServiceAddress> addresses = new ArrayList<>();
        for (Section s : top.tables("service_address", "service_address")) {
            addresses.add(serviceAddress(s));
        }
        List<ServiceCommands> services = new ArrayList<>();
        Set<String> serviceNames = new HashSet<>();
        for (Section s : top.tables("service", "service")) {
            String name = s.name("name", null);
            List<String> start = s.strings("start", null, false, COMMAND);
            List<String> stop = s.strings("stop", null, false, COMMAND);
            if (start == null || stop == null) {
                throw s.error(start == null ? "start" : "stop", "missing (expected: " + COMMAND + ")");
            }
            ServiceCommands service = new ServiceCommands(name, start, stop,
                    s.strings("status", List.of(), true, COMMAND));
            if (!serviceNames.add(service.name())) {
                throw s.error("name", Section.quote(service.name()) + " is used twice (expected: a name of its own)");
            }
            s.rejectUnknownKeys();
            services.add(service);
        }
        top.rejectUnknownKeys();
        return new OrchestratorConfig(sourceName, node, address, peerNode, peerAddress, heartbeat, autoFailback, home,
                replicator, statusInterval, stateDir, control, stepTimeout, fsckTimeout, List.copyOf(resources),
                List.copyOf(addresses), List.copyOf(services), notify, commands);
    }

    private static Platform platform(Section top) {
        String text = top.string("platform", null);
        for (Platform p : Platform.values()) {
            if (p.configName().equals(text)) {
                return p;
            }
        }
        throw top.error("platform", Section.quote(text) + " is not a valid choice (expected: linux | freebsd)");
    }

    private static HeartbeatConfig heartbeat(Section s) {
        int port = (int) s.integer("port", 694, 1, 65535);
        Duration keepalive = s.duration("keepalive", "1s", Duration.ofMillis(10), Duration.ofMinutes(1));
        Duration warntime = s.duration("warntime", "5s", Duration.ofMillis(20), Duration.ofMinutes(10));
        Duration deadtime = s.duration("deadtime", "10s", Duration.ofMillis(20), Duration.ofMinutes(10));
        Duration initdead = s.duration("initdead", "30s", Duration.ofMillis(20), Duration.ofHours(1));
        Path keyFile = s.absolutePath("key_file", null);
        Duration maxSkew = s.duration("max_skew", "60s", Duration.ofSeconds(1), Duration.ofHours(24));
        List<PingTarget> ping = new ArrayList<>();
        for (String text : s.strings("ping", List.of(), true, "targets such as \"10.0.0.254\" (ICMP) or "
                + "\"10.0.0.254:22\" (TCP connect)")) {
            PingTarget t = PingTarget.parse(text);
            if (t == null) {
                throw s.error("ping", Section.quote(text) + " is not a ping target (expected: \"HOST\" for ICMP"
                        + " or \"HOST:PORT\" for a TCP connect)");
            }
            ping.add(t);
        }
        Duration pingTimeout = s.duration("ping_timeout", "1s", Duration.ofMillis(10), Duration.ofMinutes(1));
        s.rejectUnknownKeys();
        if (warntime.compareTo(keepalive) <= 0) {
            throw s.error("warntime", warntime.toMillis() + "ms is not longer than keepalive " + keepalive.toMillis()
                    + "ms (expected: keepalive < warntime <= deadtime)");
        }
        if (deadtime.compareTo(warntime) < 0) {
            throw s.error("deadtime", deadtime.toMillis() + "ms is shorter than warntime " + warntime.toMillis()
                    + "ms (expected: keepalive < warntime <= deadtime)");
        }
        if (initdead.compareTo(deadtime) < 0) {
            throw s.error("initdead", initdead.toMillis() + "ms is shorter than deadtime " + deadtime.toMillis()
                    + "ms (expected: initdead >= deadtime)");
        }
        return new HeartbeatConfig(port, keepalive, warntime, deadtime, initdead, keyFile, maxSkew, ping, pingTimeout);
    }

    private static CommandSet commands(Section s, CommandSet defaults) {
        CommandSet out = defaults;
        for (CommandSet.Kind kind : CommandSet.Kind.values()) {
            boolean emptyAllowed = kind == CommandSet.Kind.ANNOUNCE;
            List<String> argv = s.strings(kind.key(), null, emptyAllowed, COMMAND
                    + (kind.placeholders().isEmpty() ? "" : " with placeholders " + placeholders(kind)));
            if (argv != null) {
                CommandTemplate t = new CommandTemplate(argv);
                List<String> unknown = t.unknownPlaceholders(kind.placeholders());
                if (!unknown.isEmpty()) {
                    throw s.error(kind.key(), "unknown placeholder " + unknown.get(0) + " (expected: "
                            + (kind.placeholders().isEmpty() ? "none" : placeholders(kind)) + ")");
                }
                out = out.with(kind, t);
            }
        }
        s.rejectUnknownKeys();
        return out;
    }

    private static String placeholders(CommandSet.Kind kind) {
        List<String> names = new ArrayList<>();
        kind.placeholders().stream().sorted().forEach(p -> names.add("{" + p + "}"));
        return String.join(" ", names);
    }

    private static List<ResourcePlan> resources(Section top, CommandSet commands) {
        JsonNode tables = top.raw("resource");
        if (tables == null || !tables.isObject() || tables.isEmpty()) {
            throw new ConfigException(top.source() + ": no resource defined (expected: at least one [resource.NAME]"
                    + " table naming a replicator resource)");
        }
        List<ResourcePlan> out = new ArrayList<>();
        Set<Path> mounts = new HashSet<>();
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) tables::fields) {
            Section s = new Section(top.source(), "[resource." + e.getKey() + "]",
                    e.getValue().isObject() ? e.getValue() : ConfigSection.emptyTable());
            if (!e.getValue().isObject() || !Pattern.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", e.getKey())) {
                throw new ConfigException(top.source() + ": resource " + Section.quote(e.getKey()) + ": not a valid "
                        + "resource table (expected: [resource.NAME] with NAME of " + Section.NAME_SYNTAX + ")");
            }
            Optional<String> device = s.has("device") ? Optional.of(s.absolutePath("device", null).toString())
                    : Optional.empty();
            List<String> defaultFsck = device.map(d -> commands.get(CommandSet.Kind.FSCK).expand(Map.of("device", d)))
                    .orElse(List.of());
            List<String> fsck = s.strings("fsck", defaultFsck, true, COMMAND);
            if (s.has("fsck")) {
                // a resource's own fsck takes {device} like the command set's
                CommandTemplate own = new CommandTemplate(fsck);
                List<String> unknown = own.unknownPlaceholders(Set.of("device"));
                if (!unknown.isEmpty()) {
                    throw s.error("fsck", "unknown placeholder " + unknown + " (expected: only {device})");
                }
                fsck = device.map(d -> own.expand(Map.of("device", d))).orElse(fsck);
            }
            Optional<Path> mount = s.has("mount") ? Optional.of(s.absolutePath("mount", null)) : Optional.empty();
            List<String> attach = s.strings("attach", List.of(), true, COMMAND);
            List<String> detach = s.strings("detach", List.of(), true, COMMAND);
            s.rejectUnknownKeys();
            if (device.isEmpty() && (mount.isPresent() || s.has("fsck") && !fsck.isEmpty())) {
                throw s.error("device", "missing (expected: the device path of the mirrored volume, needed by "
                        + (mount.isPresent() ? "mount" : "fsck") + ")");
            }
            if (mount.isPresent() && !mounts.add(mount.get())) {
                throw s.error("mount", Section.quote(mount.get().toString()) + " is used by another resource"
                        + " (expected: a mount point of its own)");
            }
            out.add(new ResourcePlan(e.getKey(), device, attach, detach, fsck, mount));
        }
        return out;
    }

    private static ServiceAddress serviceAddress(Section s) {
        String text = s.string("address", null);
        String iface = s.string("interface", null);
        s.rejectUnknownKeys();
        int slash = text.indexOf('/');
        String expected = " (expected: ADDRESS/PREFIX such as \"192.168.1.50/24\" or \"2001:db8::5/64\")";
        if (slash <= 0 || !text.substring(slash + 1).matches("\\d{1,3}")) {
            throw s.error("address", Section.quote(text) + " is not an address with a prefix" + expected);
        }
        String ip = text.substring(0, slash);
        int prefix = Integer.parseInt(text.substring(slash + 1));
        boolean v6 = ip.indexOf(':') >= 0;
        if (!(v6 ? isIpv6(ip) : isIpv4(ip)) || prefix > (v6 ? 128 : 32)) {
            throw s.error("address", Section.quote(text) + " is not a valid IP" + (v6 ? "v6" : "v4")
                    + " address and prefix" + expected);
        }
        if (!INTERFACE.matcher(iface).matches()) {
            throw s.error("interface", Section.quote(iface) + " is not an interface name (expected: 1 to 15 "
                    + "characters such as \"eth0\", \"em0\")");
        }
        return new ServiceAddress(ip, prefix, iface);
    }

    private static String host(Section s, String key) {
        String text = s.string(key, null);
        if (text.indexOf(' ') >= 0 || text.indexOf('/') >= 0 || text.startsWith("[")) {
            throw s.error(key, Section.quote(text) + " is not a host name or address (expected: e.g. \"10.0.0.2\","
                    + " \"beta.example.net\" or \"fd00::2\")");
        }
        return text;
    }

    static boolean isIpv4(String ip) {
        var m = IPV4.matcher(ip);
        if (!m.matches()) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean isIpv6(String ip) {
        if (!ip.matches("[0-9A-Fa-f:.]+")) {
            return false;
        }
        try {
            return InetAddress.getByName(ip).getAddress().length == 16; // a literal: no name lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The peer's heartbeat endpoint, for messages. */
    public String peerEndpoint() {
        return peerAddress + ":" + heartbeat.port();
    }
}
