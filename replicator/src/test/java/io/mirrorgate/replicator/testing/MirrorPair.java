package io.mirrorgate.replicator.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.mirrorgate.replicator.cli.ReplicatorMain;
import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.replicator.daemon.ReplicatorDaemon;
import io.mirrorgate.replicator.peer.RemotePeerLink;
import io.mirrorgate.replicator.resource.ResourceInitializer;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.testing.TestData;
import io.mirrorgate.common.net.HostPort;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * A primary and its standby on 127.0.0.1, in this JVM, with real servers: the standby is a
 * {@link GgateDaemon} exporting {@code standby.img} (the peer), the primary a {@link
 * ReplicatorDaemon} mirroring {@code primary.img} to it and serving resource {@code r0} over NBD.
 * Everything lives in one directory: key, exports file, images, replicator.toml, metadata, control
 * socket. Ports are ephemeral; the standby keeps its port across {@link #stopStandby()} / {@link
 * #startStandby()}.
 *
 * <pre>
 * try (MirrorPair pair = MirrorPair.builder(dir).size(16 &lt;&lt; 20).start()) {
 *     pair.awaitInSync(Duration.ofSeconds(30));
 *     try (NbdClient nbd = pair.nbd()) { nbd.write(0, data, false); nbd.flush(); }
 *     assertEquals(pair.primarySha256(), pair.standbySha256());
 * }
 * </pre>
 */
public final class MirrorPair implements AutoCloseable {
    public static final String RESOURCE = "r0";

    private final Builder settings;
    private final Path dir;
    private final Path key;
    private final Path exports;
    private final Path standbyImage;
    private final Path primaryImage;
    private final Path config;
    private GgateDaemon standby;
    private int standbyPort;
    private ReplicatorDaemon primary;

    /** What the pair looks like; {@link #start()} makes it. */
    public static final class Builder {
        private final Path dir;
        private long size = 16L << 20;
        private String regionSize = "64KiB";
        private String mode = "fullsync";
        private String resyncRate = "unlimited";
        private String timeout = "2s";
        private String splitBrain = "refuse";
        private final List<String> extraResourceLines = new ArrayList<>();
        private boolean startPrimary = true;

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** Volume size in bytes (default 16 MiB). */
        public Builder size(long bytes) {
            this.size = bytes;
            return this;
        }

        /** {@code region_size} (default "64KiB"). */
        public Builder regionSize(String value) {
            this.regionSize = value;
            return this;
        }

        /** {@code mode} (default "fullsync"). */
        public Builder mode(String value) {
            this.mode = value;
            return this;
        }

        /** {@code resync_rate} (default "unlimited"). */
        public Builder resyncRate(String value) {
            this.resyncRate = value;
            return this;
        }

        /** {@code timeout} of peer requests (default "2s"). */
        public Builder timeout(String value) {
            this.timeout = value;
            return this;
        }

        /** {@code split_brain} (default "refuse"). */
        public Builder splitBrain(String value) {
            this.splitBrain = value;
            return this;
        }

        /** A raw line for the {@code [resource.r0]} table. */
        public Builder resourceLine(String line) {
            this.extraResourceLines.add(line);
            return this;
        }

        /** Whether {@link #start()} starts the primary too (default true). */
        public Builder startPrimary(boolean value) {
            this.startPrimary = value;
            return this;
        }

        /** Creates the files, starts the standby, creates the metadata and starts the primary. */
        public MirrorPair start() throws IOException {
            MirrorPair pair = new MirrorPair(this);
            try {
                pair.setUp();
            } catch (IOException | RuntimeException | Error e) {
                pair.close();
                throw e;
            }
            return pair;
        }
    }

    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    private MirrorPair(Builder settings) {
        this.settings = settings;
        this.dir = settings.dir;
        this.key = dir.resolve("key");
        this.exports = dir.resolve("exports");
        this.standbyImage = dir.resolve("standby.img");
        this.primaryImage = dir.resolve("primary.img");
        this.config = dir.resolve("replicator.toml");
    }

    private void setUp() throws IOException {
        Files.write(key, TestData.randomBytes(7, 32));
        TestData.sparseFile(standbyImage, settings.size);
        Files.writeString(exports, "127.0.0.1 RW " + standbyImage + "\n");
        startStandby();
        Files.writeString(config, configText(), StandardCharsets.UTF_8);
        ResourceInitializer.create(loadConfig().resource(RESOURCE), false, OptionalLong.of(settings.size));
        if (settings.startPrimary) {
            startPrimary();
        }
    }

    private String configText() {
        StringBuilder t = new StringBuilder();
        t.append("node = \"alpha\"\n");
        t.append("control = \"").append(controlSocket()).append("\"\n");
        t.append("metrics = \"127.0.0.1:0\"\n\n");
        t.append("[resource.").append(RESOURCE).append("]\n");
        t.append("local = \"").append(primaryImage).append("\"\n");
        t.append("role = \"primary\"\n");
        t.append("remote = \"127.0.0.1:").append(standbyPort).append("\"\n");
        t.append("remote_path = \"").append(standbyImage).append("\"\n");
        t.append("key_file = \"").append(key).append("\"\n");
        t.append("mode = \"").append(settings.mode).append("\"\n");
        t.append("region_size = \"").append(settings.regionSize).append("\"\n");
        t.append("timeout = \"").append(settings.timeout).append("\"\n");
        t.append("resync_rate = \"").append(settings.resyncRate).append("\"\n");
        t.append("split_brain = \"").append(settings.splitBrain).append("\"\n");
        t.append("nbd_listen = \"127.0.0.1:0\"\n");
        settings.extraResourceLines.forEach(l -> t.append(l).append('\n'));
        return t.toString();
    }

    /** The standby's ggate-server settings on {@code port} (0: ephemeral). */
    public GgateDaemon.Settings standbySettings(int port) {
        return new GgateDaemon.Settings(exports, new HostPort("127.0.0.1", port), null, key,
                dir.resolve("standby-state"), LocalDeviceOptions.defaults(), GgateProtocol.DEFAULT_MAX_REQUEST_SIZE);
    }

    /** Starts the standby's ggate-server (again, on the same port after the first start). */
    public void startStandby() {
        if (standby != null) {
            return;
        }
        standby = GgateDaemon.start(standbySettings(standbyPort));
        standbyPort = standby.ggateAddress().getPort();
    }

    /** Stops the standby's ggate-server gracefully. */
    public void stopStandby() {
        if (standby != null) {
            GgateDaemon s = standby;
            standby = null;
            s.close();
        }
    }

    /** Starts the primary replicator in this JVM (fast peer reconnects). */
    public ReplicatorDaemon startPrimary() {
        if (primary == null) {
            primary = ReplicatorDaemon.start(loadConfig(), List.of(RESOURCE),
                    new RemotePeerLink.Backoff(Duration.ofMillis(50), Duration.ofMillis(500), Duration.ofSeconds(1)));
        }
        return primary;
    }

    /** Stops the primary replicator (the clean shutdown of SIGTERM). */
    public void stopPrimary() {
        if (primary != null) {
            ReplicatorDaemon p = primary;
            primary = null;
            p.close();
        }
    }

    public ReplicatorConfig loadConfig() {
        return ReplicatorConfig.load(config);
    }

    public Path dir() {
        return dir;
    }

    public Path configFile() {
        return config;
    }

    public Path keyFile() {
        return key;
    }

    public Path primaryImage() {
        return primaryImage;
    }

    public Path standbyImage() {
        return standbyImage;
    }

    public Path metadataFile() {
        return Path.of(primaryImage + ".mgmeta");
    }

    public Path controlSocket() {
        return dir.resolve("run").resolve("replicator.sock");
    }

    public int standbyPort() {
        return standbyPort;
    }

    public GgateDaemon standby() {
        return standby;
    }

    public ReplicatorDaemon primary() {
        return primary;
    }

    public long size() {
        return settings.size;
    }

    /** The primary's NBD port of {@code r0}. */
    public int nbdPort() {
        return primary.nbdAddress(RESOURCE).getPort();
    }

    /** A new NBD client of the mirrored volume {@code r0}. */
    public NbdClient nbd() throws IOException {
        return NbdClient.connect("127.0.0.1", nbdPort(), RESOURCE);
    }

    public ResourceStatus status() {
        return primary.status(RESOURCE);
    }

    /** Waits until r0 is connected, its resync is done and nothing is owed. */
    public ResourceStatus awaitInSync(Duration max) throws InterruptedException {
        return await("r0 in sync", max, s -> s.state() == ResourceStatus.State.CONNECTED
                && s.resync().state() == io.mirrorgate.replicator.resync.ResyncProgress.State.DONE
                && s.owedRegions() == 0);
    }

    /** Waits until r0's status satisfies {@code condition}; fails with the last status. */
    public ResourceStatus await(String what, Duration max, Predicate<ResourceStatus> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            ResourceStatus s = status();
            if (condition.test(s)) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                fail("timed out after " + max + " waiting for " + what + "; last status: " + s);
            }
            Thread.sleep(20);
        }
    }

    public String primarySha256() throws IOException {
        return TestData.sha256(primaryImage);
    }

    public String standbySha256() throws IOException {
        return TestData.sha256(standbyImage);
    }

    /** The metrics page of the primary ({@code GET /metrics}). */
    public String metrics() throws IOException, InterruptedException {
        InetSocketAddress a = primary.metricsAddress();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + a.getPort() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            fail("metrics answered HTTP " + r.statusCode());
        }
        return r.body();
    }

    /** What a CLI run left. */
    public record CliResult(int exitCode, String out, String err) {}

    /** Runs {@code replicator -c <config> args...} in this JVM (not {@code run}: it traps signals). */
    public CliResult cli(String... args) {
        return cli(config, args);
    }

    /** Runs {@code replicator -c configFile args...} in this JVM. */
    public static CliResult cli(Path configFile, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of("-c", configFile.toString()));
        all.addAll(List.of(args));
        int code = ReplicatorMain.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(all.toArray(new String[0]));
        return new CliResult(code, out.toString(), err.toString());
    }

    /** Stops the primary, then the standby; idempotent. */
    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            stopPrimary();
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            stopStandby();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
