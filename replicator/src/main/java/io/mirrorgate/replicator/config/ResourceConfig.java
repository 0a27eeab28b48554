package io.mirrorgate.replicator.config;

import io.mirrorgate.common.config.ConfigValues;
import io.mirrorgate.common.config.ConfigSection;
import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.mirror.ReplicationMode;
import io.mirrorgate.server.tls.TlsFiles;
import io.mirrorgate.server.tls.TlsMode;
import io.mirrorgate.common.net.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One {@code [resource.NAME]} table of the configuration file, validated and immutable. Obtain it
 * from {@link ReplicatorConfig#resource(String)}.
 *
 * <pre>
 * key               default                      meaning
 * local             (required)                   local replica: image file or block device
 * metadata          &lt;local&gt;.mgmeta               dirty-region bitmap and generations
 * role              secondary                    primary | secondary (start-up role)
 * remote            (required)                   host:port of the peer (its listen, or its ggate-server)
 * remote_path       same as local                export path on the peer (or the resource name)
 * listen            off                          host:port where this node serves its replica to a
 *                                                primary peer (needed for role changes)
 * after_fenced      stay                         stay | become-secondary
 * key_file          /etc/mirrorgate/key          shared key (HMAC authentication)
 * mode              fullsync                     fullsync | memsync | async
 * async_backlog     64MiB                        bound of the async backlog (1MiB..64GiB)
 * region_size       4MiB                         bitmap granularity, power of two (4KiB..1GiB)
 * activity_regions  64                           recently written regions kept marked (1..65536)
 * compression       true                         LZ4 on the wire (negotiated; adaptive)
 * timeout           10s                          peer request timeout (100ms..1h)
 * resync_rate       100MiB                       bytes per second (optionally "/s"), or unlimited
 * nbd_listen        off                          host:port where the volume is served over NBD
 * split_brain       refuse                       refuse | discard-secondary
 * tls               off, or require with tls_cert off | require: the replication link (both ways) is TLS
 * tls_cert          (none)                       this node's certificate, PEM
 * tls_key           (none)                       this node's private key, PEM PKCS#8
 * tls_ca            (none)                       the CA that signs the peer's certificate, PEM
 * </pre>
 */
public final class ResourceConfig {
    static final long MIN_REGION_SIZE = 4L << 10;
    static final long MAX_REGION_SIZE = 1L << 30;
    static final int MAX_ACTIVITY_REGIONS = 65536;

    private final String source;
    private final String name;
    private final String node;
    private final Path local;
    private final Path metadata;
    private final Role role;
    private final HostPort remote;
    private final String remotePath;
    private final Path keyFile;
    private final ReplicationMode mode;
    private final long asyncBacklog;
    private final long regionSize;
    private final int activityRegions;
    private final boolean compression;
    private final Duration timeout;
    private final OptionalLong resyncRate;
    private final Optional<HostPort> nbdListen;
    private final Optional<HostPort> listen;
    private final AfterFenced afterFenced;
    private final SplitBrainPolicy splitBrain;
    private final TlsMode tls;
    private final TlsFiles tlsFiles;

    private ResourceConfig(String source, String name, String node, ConfigSection s) {
        this.source = source;
        this.name = name;
        this.node = node;
        this.local = s.absolutePath("local", null);
        this.metadata = s.absolutePath("metadata", local + ".mgmeta");
        this.role = s.choice("role", "secondary", Role.class);
        this.remote = s.endpoint("remote", null, false, 1);
        this.remotePath = s.string("remote_path", local.toString());
        if (remotePath.isEmpty()) {
            throw s.error("remote_path", "empty (expected: the export path on the peer)");
        }
        this.keyFile = s.absolutePath("key_file", "/etc/mirrorgate/key");
        this.mode = s.choice("mode", "fullsync", ReplicationMode.class);
        this.asyncBacklog = s.size("async_backlog", "64MiB", 1L << 20, 64L << 30);
        this.regionSize = s.size("region_size", "4MiB", MIN_REGION_SIZE, MAX_REGION_SIZE);
        if (Long.bitCount(regionSize) != 1) {
            throw s.error("region_size", ConfigValues.formatSize(regionSize)
                    + " is not a power of two (expected: a power of two from 4KiB to 1GiB, e.g. \"4MiB\")");
        }
        this.activityRegions = (int) s.integer("activity_regions", 64, 1, MAX_ACTIVITY_REGIONS);
        this.compression = s.bool("compression", true);
        this.timeout = s.duration("timeout", "10s", Duration.ofMillis(100), Duration.ofHours(1));
        this.resyncRate = resyncRate(s);
        this.nbdListen = Optional.ofNullable(s.endpoint("nbd_listen", "off", true, 0));
        this.listen = Optional.ofNullable(s.endpoint("listen", "off", true, 0));
        this.afterFenced = s.choice("after_fenced", "stay", AfterFenced.class);
        this.splitBrain = s.choice("split_brain", "refuse", SplitBrainPolicy.class);
        this.tlsFiles = tlsFiles(s);
        this.tls = s.raw("tls") == null ? (tlsFiles != null ? TlsMode.REQUIRE : TlsMode.OFF)
                : s.choice("tls", "off", TlsMode.class);
        if (tls == TlsMode.ALLOW) {
            throw s.error("tls", "\"allow\" (expected: off or require; a replication link is either)");
        }
        if (tls != TlsMode.OFF && tlsFiles == null) {
            throw s.error("tls", "require without certificates (expected: tls_cert, tls_key and tls_ca)");
        }
        if (metadata.equals(local)) {
            throw s.error("metadata", ConfigSection.quote(metadata.toString())
                    + " is the local replica itself (expected: a separate file)");
        }
        s.rejectUnknownKeys();
    }

    private static OptionalLong resyncRate(ConfigSection s) {
        JsonNode raw = s.raw("resync_rate");
        if (raw != null && raw.isTextual()) {
            String text = raw.asText().trim();
            if (text.equals("unlimited")) {
                return OptionalLong.empty();
            }
            if (text.endsWith("/s")) {
                Long bytes = ConfigValues.size(text.substring(0, text.length() - 2));
                if (bytes == null || bytes < (64L << 10)) {
                    throw s.error("resync_rate", ConfigSection.quote(text)
                            + " is not a rate (expected: at least 64KiB per second, e.g. \"100MiB\", or \"unlimited\")");
                }
                return OptionalLong.of(bytes);
            }
        }
        return OptionalLong.of(s.size("resync_rate", "100MiB", 64L << 10, Long.MAX_VALUE));
    }

    private static TlsFiles tlsFiles(ConfigSection s) {
        boolean any = s.raw("tls_cert") != null || s.raw("tls_key") != null || s.raw("tls_ca") != null;
        if (!any) {
            return null;
        }
        return new TlsFiles(s.absolutePath("tls_cert", null), s.absolutePath("tls_key", null),
                s.absolutePath("tls_ca", null));
    }

    /** TLS on the replication link: off, or require (both the primary's link and the listen). */
    public TlsMode tls() {
        return tls;
    }

    /** The certificate files, or null when none are configured. */
    public TlsFiles tlsFiles() {
        return tlsFiles;
    }

    static ResourceConfig parse(String source, String name, String node, ConfigSection section) {
        return new ResourceConfig(source, name, node, section);
    }

    /** The file this resource was read from (for messages). */
    public String source() {
        return source;
    }

    /** The resource name (the NAME of {@code [resource.NAME]}). */
    public String name() {
        return name;
    }

    /** This node's name (the file's top-level {@code node}). */
    public String node() {
        return node;
    }

    public Path local() {
        return local;
    }

    public Path metadata() {
        return metadata;
    }

    public Role role() {
        return role;
    }

    public HostPort remote() {
        return remote;
    }

    public String remotePath() {
        return remotePath;
    }

    public Path keyFile() {
        return keyFile;
    }

    public ReplicationMode mode() {
        return mode;
    }

    public long asyncBacklog() {
        return asyncBacklog;
    }

    /** Bytes per bitmap region: a power of two from 4KiB to 1GiB. */
    public long regionSize() {
        return regionSize;
    }

    public int activityRegions() {
        return activityRegions;
    }

    public boolean compression() {
        return compression;
    }

    public Duration timeout() {
        return timeout;
    }

    /** Resync bytes per second; empty means unlimited. */
    public OptionalLong resyncRate() {
        return resyncRate;
    }

    /** Where the mirrored volume is served over NBD; empty when {@code off}. */
    public Optional<HostPort> nbdListen() {
        return nbdListen;
    }

    /** Where this node serves its replica to a primary peer (the secondary role); empty when off. */
    public Optional<HostPort> listen() {
        return listen;
    }

    /** What this node does as a primary superseded by a higher epoch. */
    public AfterFenced afterFenced() {
        return afterFenced;
    }

    public SplitBrainPolicy splitBrain() {
        return splitBrain;
    }

    @Override
    public String toString() {
        return "resource " + name + " (local=" + local + " remote=" + remote + " role="
                + role.name().toLowerCase() + " mode=" + mode.name().toLowerCase() + ")";
    }
}
