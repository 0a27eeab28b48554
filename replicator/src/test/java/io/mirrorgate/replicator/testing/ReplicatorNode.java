package io.mirrorgate.replicator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.nbdclient.NbdClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * One node of a {@link ReplicatorNodes} pair: its configuration, image, and {@code replicator
 * run} child process (started, SIGKILLed, stopped and started again as the test says), with the
 * CLI ({@code status}, {@code role}, {@code fence}, {@code dump-metadata}) run in this JVM.
 */
public final class ReplicatorNode implements AutoCloseable {
    public static final String RESOURCE = "r0";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READY = Duration.ofSeconds(60);

    private final String name;
    private final Path dir;
    private final Path image;
    private final Path config;
    private final int listenPort;
    private ReplicatorProcess process;
    private int starts;

    ReplicatorNode(String name, Path dir, int listenPort) {
        this.name = name;
        this.dir = dir;
        this.image = dir.resolve(name + ".img");
        this.config = dir.resolve(name + ".toml");
        this.listenPort = listenPort;
    }

    /** Writes this node's configuration: {@code role}, the peer's listen port, extra resource lines. */
    public void writeConfig(String role, int peerPort, Path keyFile, List<String> resourceLines) throws IOException {
        StringBuilder t = new StringBuilder();
        t.append("node = \"").append(name).append("\"\n");
        t.append("control = \"").append(dir.resolve("run-" + name).resolve("replicator.sock")).append("\"\n");
        t.append("metrics = \"off\"\n\n");
        t.append("[resource.").append(RESOURCE).append("]\n");
        t.append("local = \"").append(image).append("\"\n");
        t.append("role = \"").append(role).append("\"\n");
        t.append("remote = \"127.0.0.1:").append(peerPort).append("\"\n");
        t.append("remote_path = \"").append(RESOURCE).append("\"\n");
        t.append("listen = \"127.0.0.1:").append(listenPort).append("\"\n");
        t.append("key_file = \"").append(keyFile).append("\"\n");
        t.append("timeout = \"5s\"\n");
        t.append("nbd_listen = \"127.0.0.1:0\"\n");
        resourceLines.forEach(l -> t.append(l).append('\n'));
        Files.writeString(config, t.toString(), StandardCharsets.UTF_8);
    }

    /** Replaces the {@code role = ...} line of the configuration (the start-up role). */
    public void setStartRole(String role) throws IOException {
        String text = Files.readString(config).replaceAll("(?m)^role = \"\\w+\"$", "role = \"" + role + "\"");
        Files.writeString(config, text);
    }

    /** Starts {@code replicator run}; its stderr goes to {@code NAME-N.log}. */
    public ReplicatorProcess start() throws IOException, InterruptedException {
        if (process != null && process.process().isAlive()) {
            throw new IllegalStateException(name + " still runs: " + process.process().pid());
        }
        starts++;
        process = ReplicatorProcess.start(config, log(), READY, RESOURCE);
        return process;
    }

    /** SIGKILL. */
    public void kill() throws InterruptedException {
        process.kill();
    }

    /** SIGTERM, asserting exit 0. */
    public void stop() throws InterruptedException, IOException {
        int code = process.stop(Duration.ofSeconds(60));
        assertEquals(ExitCodes.OK, code, name + ": replicator run exit code; stderr:\n" + Files.readString(log()));
    }

    public Path log() {
        return dir.resolve(name + "-" + starts + ".log");
    }

    public String logText() throws IOException {
        return Files.exists(log()) ? Files.readString(log()) : "";
    }

    public String name() {
        return name;
    }

    public Path image() {
        return image;
    }

    public Path config() {
        return config;
    }

    public int listenPort() {
        return listenPort;
    }

    /** {@code replicator -c CONFIG args...} in this JVM. */
    public MirrorPair.CliResult cli(String... args) {
        return MirrorPair.cli(config, args);
    }

    /** {@code replicator role r0 ROLE [--force]}, asserting success; returns its line. */
    public String role(String role, boolean force) {
        MirrorPair.CliResult r = force ? cli("role", RESOURCE, role, "--force") : cli("role", RESOURCE, role);
        assertEquals(ExitCodes.OK, r.exitCode(), name + ": replicator role " + role + ": " + r.err() + r.out());
        return r.out().trim();
    }

    /** r0's status object on this node (a split brain is a status too). */
    public JsonNode status() throws IOException {
        return Fixtures.resourceStatus(config, RESOURCE, true);
    }

    /** Polls the status every 50 ms until {@code condition} holds; fails with the last one and the log. */
    public JsonNode await(String what, Duration max, Predicate<JsonNode> condition)
            throws IOException, InterruptedException {
        return Fixtures.awaitStatus(name + ": " + what, max, this::status, condition, () -> "log:\n" + logText());
    }

    /** As primary: connected, resync done, nothing owed. */
    public JsonNode awaitInSync(Duration max) throws IOException, InterruptedException {
        return await("r0 in sync", max, s -> s.path("role").asText().equals("primary")
                && s.path("state").asText().equals("connected")
                && s.path("resync").path("state").asText().equals("done")
                && s.path("owedRegions").asLong() == 0);
    }

    /** A new NBD client of the volume this node serves as primary. */
    public NbdClient nbd() throws IOException {
        JsonNode s = status();
        String nbd = s.path("nbd").asText("");
        if (nbd.isEmpty() || nbd.equals("null")) {
            fail(name + " serves no NBD endpoint (role " + s.path("role").asText() + "): " + s);
        }
        int colon = nbd.lastIndexOf(':');
        return NbdClient.connect(nbd.substring(0, colon), Integer.parseInt(nbd.substring(colon + 1)), RESOURCE);
    }

    /** {@code replicator dump-metadata r0 --json} (also while stopped). */
    public JsonNode metadata() throws IOException {
        MirrorPair.CliResult r = cli("dump-metadata", RESOURCE, "--json");
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        return JSON.readTree(r.out());
    }

    public boolean running() {
        return process != null && process.process().isAlive();
    }

    /** Kills the process if it runs. Idempotent. */
    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.close();
        }
    }
}
