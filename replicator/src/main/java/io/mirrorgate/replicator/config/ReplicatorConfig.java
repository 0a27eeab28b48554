package io.mirrorgate.replicator.config;

import io.mirrorgate.common.config.ConfigValues;
import io.mirrorgate.common.config.ConfigException;
import io.mirrorgate.common.config.ConfigSection;
import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.error.Reasons;
import io.mirrorgate.common.net.HostPort;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The replicator's configuration file, validated as a whole before anything is opened, and
 * immutable. The shape follows FreeBSD's {@code hast.conf}: a few node-wide settings and one table
 * per resource (see {@link ResourceConfig} for the resource keys):
 *
 * <pre>
 * node = "alpha"                                  # default: this host's name
 * control = "/run/mirrorgate/replicator.sock"     # local control endpoint (status)
 * metrics = "127.0.0.1:9380"                      # Prometheus endpoint, or "off"
 *
 * [resource.r0]
 * local = "/var/lib/mirrorgate/r0.img"
 * remote = "backup:3080"
 * </pre>
 *
 * Unknown keys, wrong types and out-of-range values are errors that name the file, the resource
 * and the key, and say what was expected.
 */
public final class ReplicatorConfig {

    private final String source;
    private final String node;
    private final Path control;
    private final Optional<HostPort> metrics;
    private final Map<String, ResourceConfig> resources;

    private ReplicatorConfig(String source, String node, Path control, Optional<HostPort> metrics,
            Map<String, ResourceConfig> resources) {
        this.source = source;
        this.node = node;
        this.control = control;
        this.metrics = metrics;
        this.resources = Collections.unmodifiableMap(resources);
    }

    /** Reads and validates {@code file}. */
    public static ReplicatorConfig load(Path file) {
        return parse(ConfigSection.readFile(file, "the TOML file of the resources, see -c"), file.toString());
    }

    /** Parses and validates {@code text}; {@code sourceName} names it in messages. */
    public static ReplicatorConfig parse(String text, String sourceName) {
        JsonNode root = ConfigSection.parseToml(text, sourceName);
        ConfigSection top = new ConfigSection(sourceName, "", root);
        String node = top.string("node", null == root.get("node") ? defaultNodeName() : null);
        if (!ConfigValues.isName(node)) {
            throw top.error("node", ConfigSection.quote(node) + " is not a valid node name (expected: "
                    + ConfigValues.NAME_SYNTAX + ")");
        }
        Path control = top.absolutePath("control", "/run/mirrorgate/replicator.sock");
        Optional<HostPort> metrics = Optional.ofNullable(top.endpoint("metrics", "127.0.0.1:9380", true, 0));
        JsonNode tables = top.raw("resource");
        top.rejectUnknownKeys();
        if (tables == null || !tables.isObject() || tables.isEmpty()) {
            throw new ConfigException(sourceName + ": no resource defined (expected: at least one "
                    + "[resource.NAME] table with local and remote)");
        }
        Map<String, ResourceConfig> resources = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = tables.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (!ConfigValues.isName(name)) {
                throw new ConfigException(sourceName + ": resource " + ConfigSection.quote(name)
                        + ": not a valid resource name (expected: " + ConfigValues.NAME_SYNTAX + ")");
            }
            if (!e.getValue().isObject()) {
                throw new ConfigException(sourceName + ": resource " + name
                        + ": not a table (expected: [resource." + name + "] with local and remote)");
            }
            ConfigSection section = new ConfigSection(sourceName, "resource " + name, e.getValue());
            resources.put(name, ResourceConfig.parse(sourceName, name, node, section));
        }
        rejectSharedFiles(sourceName, resources);
        return new ReplicatorConfig(sourceName, node, control, metrics, resources);
    }

    /** Two resources must not share a replica, a metadata file, an NBD endpoint or a listen address. */
    private static void rejectSharedFiles(String source, Map<String, ResourceConfig> resources) {
        Map<Object, String> owners = new HashMap<>();
        for (ResourceConfig r : resources.values()) {
            claim(source, owners, r, "local", r.local());
            claim(source, owners, r, "metadata", r.metadata());
            r.nbdListen().ifPresent(hp -> {
                if (hp.port() != 0) {
                    claim(source, owners, r, "nbd_listen", hp);
                }
            });
            r.listen().ifPresent(hp -> {
                if (hp.port() != 0) {
                    claim(source, owners, r, "listen", hp);
                }
            });
        }
    }

    private static void claim(String source, Map<Object, String> owners, ResourceConfig r, String key, Object value) {
        String previous = owners.putIfAbsent(value, r.name() + " " + key);
        if (previous != null) {
            throw new ConfigException(source + ": resource " + r.name() + ": key " + key + ": \"" + value
                    + "\" is already used by resource " + previous + " (expected: a value of its own)");
        }
    }

    private static String defaultNodeName() {
        try {
            Path kernel = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(kernel)) {
                return Files.readString(kernel).trim();
            }
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            throw new ConfigException("cannot determine the host name for the default node name ("
                    + Reasons.of(e) + "): set node = \"NAME\" in the configuration file", e);
        }
    }

    /** The file this configuration was read from (for messages). */
    public String source() {
        return source;
    }

    /** This node's name. */
    public String node() {
        return node;
    }

    /** The local control endpoint (a Unix socket path). */
    public Path control() {
        return control;
    }

    /** The Prometheus endpoint; empty when {@code off}. */
    public Optional<HostPort> metrics() {
        return metrics;
    }

    /** Every resource, in file order, by name. */
    public Map<String, ResourceConfig> resources() {
        return resources;
    }

    /** The resource {@code name}; an error naming the configured ones when it is not there. */
    public ResourceConfig resource(String name) {
        ResourceConfig r = resources.get(name);
        if (r == null) {
            throw new ConfigException(source + ": no resource \"" + name + "\" (configured: "
                    + String.join(", ", resources.keySet()) + ")");
        }
        return r;
    }
}
