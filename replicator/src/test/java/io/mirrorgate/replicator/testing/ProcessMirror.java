package io.mirrorgate.replicator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.replicator.resource.ResourceInitializer;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.GgateServerProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.TestData;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * A primary and its standby as real processes on 127.0.0.1: the standby is a ggate-server child
 * JVM ({@link GgateServerProcess}, restarted on the same port), the primary {@code replicator run}
 * in a child JVM ({@link ReplicatorProcess}), mirroring {@code primary.img} to {@code
 * standby.img}, resource {@code r0} exported over NBD. For crash tests: either side can be
 * SIGKILLed and started again. Status comes from {@code replicator status --json} over the
 * control socket; {@link #standbyBytesWritten()} counts what the standby processes wrote
 * ({@code wchar} of {@code /proc/PID/io}, summed over their lives).
 *
 * <p>The standby processes are stopped by the {@link ProcessGroup}; {@link #close()} kills the
 * primary.
 */
public final class ProcessMirror implements AutoCloseable {
    public static final String RESOURCE = "r0";
    private static final Duration READY = Duration.ofSeconds(60);

    private final ProcessGroup group;
    private final Path dir;
    private final Path primaryImage;
    private final Path standbyImage;
    private final Path config;
    private GgateServerProcess standby;
    private ReplicatorProcess primary;
    private int primaryStarts;
    private long standbyWritesOfEndedProcesses;
    /** What a standby process writes before its ready line (native libraries unpacked, logs). */
    private long startupWrites;

    private ProcessMirror(ProcessGroup group, Path dir) {
        this.group = group;
        this.dir = dir;
        this.primaryImage = dir.resolve("primary.img");
        this.standbyImage = dir.resolve("standby.img");
        this.config = dir.resolve("replicator.toml");
    }

    /**
     * Creates sparse images of {@code size} (unless the primary's exists already, with that
     * size), starts the standby, writes the configuration ({@code resourceLines} go into the
     * {@code [resource.r0]} table, e.g. {@code region_size = "1MiB"}), creates the metadata
     * (every region marked: the first connection is a full copy) and starts the primary.
     */
    public static ProcessMirror start(ProcessGroup group, Path dir, long size, String... resourceLines)
            throws IOException, InterruptedException {
        ProcessMirror m = new ProcessMirror(group, dir);
        try {
            m.setUp(size, List.of(resourceLines));
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            m.close();
            throw e;
        }
        return m;
    }

    private void setUp(long size, List<String> resourceLines) throws IOException, InterruptedException {
        if (!Files.exists(primaryImage)) {
            TestData.sparseFile(primaryImage, size);
        }
        TestData.sparseFile(standbyImage, size);
        Path standbyDir = Files.createDirectories(dir.resolve("standby"));
        standby = GgateServerProcess.start(group, standbyDir, List.of("127.0.0.1 RW " + standbyImage));
        startupWrites = wchar(standby.process().pid());
        writeConfig(resourceLines);
        ResourceInitializer.create(ReplicatorConfig.load(config).resource(RESOURCE), false,
                OptionalLong.of(size));
        startPrimary();
    }

    /**
     * Rewrites the configuration with other {@code [resource.r0]} lines; the next {@link
     * #startPrimary()} reads it.
     */
    public void writeConfig(List<String> resourceLines) throws IOException {
        StringBuilder t = new StringBuilder();
        t.append("node = \"alpha\"\n");
        t.append("control = \"").append(dir.resolve("run").resolve("replicator.sock")).append("\"\n");
        t.append("metrics = \"127.0.0.1:0\"\n\n");
        t.append("[resource.").append(RESOURCE).append("]\n");
        t.append("local = \"").append(primaryImage).append("\"\n");
        t.append("role = \"primary\"\n");
        t.append("remote = \"").append(standby.ggateAddress()).append("\"\n");
        t.append("remote_path = \"").append(standbyImage).append("\"\n");
        t.append("key_file = \"").append(standby.keyFile()).append("\"\n");
        t.append("timeout = \"5s\"\n");
        t.append("nbd_listen = \"127.0.0.1:0\"\n");
        resourceLines.forEach(l -> t.append(l).append('\n'));
        Files.writeString(config, t.toString(), StandardCharsets.UTF_8);
    }

    /** The primary's metrics page ({@code GET /metrics}). */
    public String metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + primary.metricsPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), "metrics HTTP status");
        return r.body();
    }

    /** Starts {@code replicator run} (again); its stderr goes to {@code primary-N.log}. */
    public ReplicatorProcess startPrimary() throws IOException, InterruptedException {
        if (primary != null && primary.process().isAlive()) {
            throw new IllegalStateException("the primary still runs: " + primary.process().pid());
        }
        primaryStarts++;
        primary = ReplicatorProcess.start(config, primaryLog(), READY, RESOURCE);
        return primary;
    }

    /** The stderr file of the current (last) primary process. */
    public Path primaryLog() {
        return dir.resolve("primary-" + primaryStarts + ".log");
    }

    /** SIGKILL of the primary. */
    public void killPrimary() throws InterruptedException {
        primary.kill();
    }

    /** SIGTERM of the primary: asserts exit 0. */
    public void stopPrimary() throws InterruptedException, IOException {
        int code = primary.stop(Duration.ofSeconds(60));
        assertEquals(ExitCodes.OK, code, "replicator run exit code; stderr:\n" + primaryLog() + "\n"
                + Files.readString(primaryLog()));
    }

    /**
     * SIGKILL of the standby. It is stopped (SIGSTOP) first, so that the count of bytes it wrote
     * is read exactly before it dies.
     */
    public void killStandby() throws InterruptedException, IOException {
        long pid = standby.process().pid();
        Processes.run(Duration.ofSeconds(10), "kill", "-STOP", Long.toString(pid)).assertSuccess();
        standbyWritesOfEndedProcesses += wchar(pid) - startupWrites;
        standby.kill();
    }

    /** SIGTERM of the standby, counting what it wrote. */
    public void stopStandby() throws InterruptedException, IOException {
        long pid = standby.process().pid();
        long before = wchar(pid);
        assertEquals(ExitCodes.OK, standby.terminate(), "ggate-server exit code");
        // The graceful stop writes little more (logs); its last reading is a lower bound.
        standbyWritesOfEndedProcesses += before - startupWrites;
    }

    /** Starts the standby again on the same port. */
    public void restartStandby() throws IOException, InterruptedException {
        standby.restart();
    }

    /**
     * The bytes all standby processes passed to write system calls after their start ({@code
     * wchar} of {@code /proc/PID/io}, less what the first one wrote up to its ready line, such as
     * the native libraries it unpacked): the image writes, plus replies and log lines (small).
     */
    public long standbyBytesWritten() throws IOException {
        long now = standby.process().isAlive() ? wchar(standby.process().pid()) - startupWrites : 0;
        return standbyWritesOfEndedProcesses + now;
    }

    private static long wchar(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
            if (line.startsWith("wchar:")) {
                return Long.parseLong(line.substring("wchar:".length()).trim());
            }
        }
        throw new IOException("no wchar in /proc/" + pid + "/io");
    }

    /** A new NBD client of the mirrored volume. */
    public NbdClient nbd() throws IOException {
        return NbdClient.connect("127.0.0.1", primary.nbdPort(), RESOURCE);
    }

    /** The NBD URI of the mirrored volume (for nbdfuse). */
    public String nbdUri() {
        return "nbd://127.0.0.1:" + primary.nbdPort() + "/" + RESOURCE;
    }

    /** r0's status object, as {@code replicator status r0 --json} prints it. */
    public JsonNode status() throws IOException {
        return Fixtures.resourceStatus(config, RESOURCE, false);
    }

    /** Polls the status every 50 ms until {@code condition} holds; fails with the last one. */
    public JsonNode await(String what, Duration max, Predicate<JsonNode> condition)
            throws IOException, InterruptedException {
        return Fixtures.awaitStatus(what, max, this::status, condition,
                () -> "primary log:\n" + Files.readString(primaryLog()));
    }

    /** Waits until r0 is connected, its resync done and nothing owed. */
    public JsonNode awaitInSync(Duration max) throws IOException, InterruptedException {
        return await("r0 in sync", max, s -> s.path("state").asText().equals("connected")
                && s.path("resync").path("state").asText().equals("done")
                && s.path("owedRegions").asLong() == 0);
    }

    /** Waits until the primary sees the standby gone. */
    public JsonNode awaitDisconnected(Duration max) throws IOException, InterruptedException {
        return await("peer gone", max, s -> !s.path("peer").path("connected").asBoolean()
                && s.path("state").asText().equals("disconnected"));
    }

    /** {@code replicator dump-metadata r0} (works while the primary is stopped). */
    public String dumpMetadata() {
        MirrorPair.CliResult r = MirrorPair.cli(config, "dump-metadata", RESOURCE);
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        return r.out();
    }

    public Path primaryImage() {
        return primaryImage;
    }

    public Path standbyImage() {
        return standbyImage;
    }

    public Path configFile() {
        return config;
    }

    public ReplicatorProcess primary() {
        return primary;
    }

    public GgateServerProcess standby() {
        return standby;
    }

    /** Kills the primary if it runs (the standby belongs to the {@link ProcessGroup}). Idempotent. */
    @Override
    public void close() throws InterruptedException {
        if (primary != null) {
            primary.close();
        }
    }
}
