package io.mirrorgate.orchestrator.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.common.control.ControlClient;
import io.mirrorgate.server.nbdclient.NbdClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The demo's last two chapters: a failover between two full nodes on loopback, and the old
 * primary's rejoin. Each node runs a replicator and an fsck-orchestrator daemon (alpha's
 * heartbeats on 127.0.0.1, beta's on 127.0.0.2); the volume holds an ext4 filesystem with a few
 * files, which a small HTTP service ({@link FileService}) serves.
 *
 * <ol>
 *   <li>{@link #failover}: alpha is primary and serves the files; every process of alpha is
 *       killed with SIGKILL; beta's orchestrator takes over by itself (fence, promote, a read-only
 *       fsck, the service address when root, the file service); the time from the kill to the
 *       first successful read is printed, every file and raw block is checked;</li>
 *   <li>{@link #rejoin}: beta writes while alpha is away; alpha's programs start again as
 *       configured (primary): it is fenced, its orchestrator makes it secondary, beta resyncs it
 *       with only what differs; both images are compared by SHA-256.</li>
 * </ol>
 */
final class FailoverChapters {
    static final long VOLUME = 128L << 20;
    private static final long FILESYSTEM = 48L << 20;
    private static final int BLOCK = 1 << 20;
    /** Beta's resync rate, which the rejoin runs at: slow enough to watch the copy. */
    static final String REJOIN_RATE = "16MiB";
    static final int ALPHA_BLOCKS = 8;
    static final int BETA_BLOCKS = 24;
    private static final String SERVICE_ADDRESS = "127.77.0.1";

    private final Demo demo;
    private final DemoCluster cluster;
    private final FailoverNode alpha;
    private final FailoverNode beta;
    private final int heartbeatPort;
    private final int httpPort;
    /** Whether the service address is brought up (root with CAP_NET_ADMIN only). */
    private final boolean serviceAddress;
    private final String serviceHost;
    private final Map<String, String> files = new LinkedHashMap<>();
    private final Map<Long, byte[]> blocks = new LinkedHashMap<>();
    private ChildProcess alphaReplicator;
    private ChildProcess alphaOrchestrator;

    FailoverChapters(Demo demo, DemoCluster cluster) throws IOException, InterruptedException {
        this.demo = demo;
        this.cluster = cluster;
        Path work = cluster.work();
        alpha = new FailoverNode("alpha", "127.0.0.1", Files.createDirectories(work.resolve("alpha")),
                work.resolve("alpha.img"), DemoCluster.freePort());
        beta = new FailoverNode("beta", "127.0.0.2", Files.createDirectories(work.resolve("beta")),
                work.resolve("beta.img"), DemoCluster.freePort());
        heartbeatPort = DemoCluster.freePort();
        httpPort = DemoCluster.freePort();
        serviceAddress = canAddServiceAddress();
        serviceHost = serviceAddress ? SERVICE_ADDRESS : "127.0.0.1";
        // beta's file service is started by its orchestrator, not by the demo: stop it even after a failure
        cluster.onClose(() -> {
            for (FailoverNode node : List.of(alpha, beta)) {
                new ProcessBuilder(node.stopCommand()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            }
        });
    }

    /** Fails at once, with the package to install, when e2fsprogs is missing. */
    static void requireTools() throws IOException {
        for (String tool : List.of("mkfs.ext4", "e2fsck", "debugfs")) {
            if (DemoCluster.tool(tool) == null) {
                throw new IOException(tool + " not found: the failover chapters build and check an ext4 filesystem"
                        + " (install e2fsprogs: apt-get install e2fsprogs)");
            }
        }
    }

    /** Chapter 5: alpha dies, beta takes over by itself, the files and blocks are all there. */
    void failover() throws Exception {
        demo.step("5. Failover: two nodes, alpha (primary) and beta (standby), each with a replicator and an"
                + " fsck-orchestrator; alpha dies");
        makeFilesystem();
        alpha.writeReplicatorConfig("primary", "unlimited", beta, cluster.keyFile());
        beta.writeReplicatorConfig("secondary", REJOIN_RATE, alpha, cluster.keyFile());
        for (FailoverNode node : List.of(alpha, beta)) {
            demo.say(node.name() + ": " + cluster.run(cluster.command("replicator", "-c",
                    node.replicatorConfig().toString(), "create", "r0")).stripTrailing());
        }
        startReplicator(beta);
        alphaReplicator = startReplicator(alpha);
        demo.watch(alpha.replicatorConfig(), "initial full sync alpha -> beta, resync_rate = \"unlimited\"", 0.5);
        writeBlocks(alpha, ALPHA_BLOCKS, true);

        ChildProcess alphaService = cluster.start("alpha-files", serviceCommand(alpha));
        demo.say("alpha serves the files (started by hand, as its init would): " + alphaService.nextLine(60));
        demo.say("a client reads " + url("/") + ": " + get("/").strip().replace("\n", ", "));

        // both nodes share this machine's lo: only the standby names the service address, or alpha's
        // step-down at the rejoin would drop the address that beta brought up
        alpha.writeOrchestratorConfig(beta, cluster, heartbeatPort, null, serviceCommand(alpha));
        beta.writeOrchestratorConfig(alpha, cluster, heartbeatPort, serviceAddress ? SERVICE_ADDRESS + "/32" : null,
                serviceCommand(beta));
        alphaOrchestrator = startOrchestrator(alpha);
        startOrchestrator(beta);
        awaitOrchestrator(beta, "beta sees alpha alive and primary", s -> s.path("node").path("role").asText()
                .equals("secondary") && s.path("peer").path("role").asText().equals("primary")
                && s.path("peer").path("liveness").asText().equals("alive"));
        demo.say("heartbeats every 200ms (warntime 500ms, deadtime 1s); beta's takeover plan: fence, promote,"
                + " fsck with e2fsck -f -n " + beta.image().getFileName() + " (read-only: the demo never writes"
                + " the replica behind the replicator; a real node checks the NBD-attached volume with e2fsck -p),"
                + (serviceAddress ? " the service address " + SERVICE_ADDRESS + "/32 on lo ([commands] announce = []:"
                        + " loopback has no ARP)," : " no service address (that needs root),")
                + " and the file service");

        demo.say("kill -9 every process of alpha: replicator (pid " + alphaReplicator.pid() + "), fsck-orchestrator"
                + " (pid " + alphaOrchestrator.pid() + "), file service (pid " + alphaService.pid() + ")");
        long killed = System.nanoTime();
        alphaReplicator.kill();
        alphaOrchestrator.kill();
        alphaService.kill();
        awaitService(killed);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        demo.say("beta took over by itself: the first successful read of " + url("/") + " came " + ms
                + " ms after the kill");
        checkFiles();
        checkBlocks();
        JsonNode plan = awaitOrchestrator(beta, "beta's takeover recorded", s -> s.path("lastPlan").path("outcome")
                .asText().equals("ok")).path("lastPlan");
        demo.say("fsck-orchestrator status on beta (the takeover took " + planMillis(plan) + " ms of it):");
        demo.say(cluster.run(cluster.command("fsck-orchestrator", "-c", beta.orchestratorConfig().toString(),
                "status")).stripTrailing());
    }

    /** Chapter 6: alpha comes back as it was configured; it becomes secondary and gets what differs. */
    void rejoin() throws Exception {
        demo.step("6. Rejoin: alpha's replicator and orchestrator start again as configured (primary); alpha is"
                + " fenced, made secondary, and resynced with only what differs");
        writeBlocks(beta, BETA_BLOCKS, false);
        alphaReplicator = startReplicator(alpha);
        alphaOrchestrator = startOrchestrator(alpha);
        demo.watch(beta.replicatorConfig(), "the rejoin on beta, at beta's resync_rate = \"" + REJOIN_RATE + "\"",
                0.25);
        JsonNode a = replicatorStatus(alpha);
        JsonNode b = replicatorStatus(beta);
        demo.say("alpha: role " + a.path("role").asText() + ", " + a.path("state").asText() + ", epoch "
                + a.path("epoch").asLong() + "; beta: role " + b.path("role").asText() + ", "
                + b.path("state").asText() + ", epoch " + b.path("epoch").asLong());
        long copied = b.path("resync").path("bytesTotal").asLong();
        demo.say(String.format("the rejoin copied %.1f MiB of the %d MiB volume: what beta wrote since the"
                + " takeover and what alpha's bitmap marked at the kill, not the whole volume", copied / 1048576.0,
                VOLUME >> 20));
        if (copied <= 0 || copied >= VOLUME) {
            throw new IOException("the rejoin copied " + copied + " bytes (expected: more than 0, less than "
                    + VOLUME + ")");
        }
        demo.compare(alpha.image(), beta.image(), "after the rejoin", "alpha", "beta");
        stopService();
    }

    /** An ext4 filesystem with a few files in /www on the first 48 MiB of alpha's image. */
    private void makeFilesystem() throws Exception {
        Path source = Files.createDirectories(cluster.work().resolve("files").resolve("www"));
        Files.writeString(source.resolve("README.txt"), "Served from the mirrored volume; written before the"
                + " primary died.\n");
        int[] sizes = {300_000, 1_000_000, 2_500_000};
        for (int i = 0; i < sizes.length; i++) {
            byte[] data = new byte[sizes[i]];
            demo.random().nextBytes(data);
            Files.write(source.resolve("photo-" + (i + 1) + ".jpg"), data);
        }
        try (var list = Files.list(source)) {
            for (Path f : (Iterable<Path>) list.sorted()::iterator) {
                files.put(f.getFileName().toString(), sha256(Files.readAllBytes(f)));
            }
        }
        sparse(alpha.image());
        sparse(beta.image());
        cluster.run(List.of(DemoCluster.tool("mkfs.ext4"), "-q", "-F", "-d", source.getParent().toString(),
                alpha.image().toString(), (FILESYSTEM >> 20) + "M"));
        demo.say("mkfs.ext4 -d " + source.getParent() + " " + alpha.image() + " " + (FILESYSTEM >> 20) + "M: an ext4"
                + " filesystem with " + files.size() + " files in /www on the first " + (FILESYSTEM >> 20)
                + " MiB of a " + (VOLUME >> 20) + " MiB image, before replicator create");
    }

    private List<String> serviceCommand(FailoverNode node) {
        return cluster.main(FileService.class.getName(), node.image().toString(),
                node.dir().resolve("files").toString(), serviceHost, String.valueOf(httpPort),
                node.pidFile().toString());
    }

    private ChildProcess startReplicator(FailoverNode node) throws Exception {
        ChildProcess p = cluster.start(node.name() + "-replicator", cluster.command("replicator", "-c",
                node.replicatorConfig().toString(), "run"));
        demo.say(node.name() + ": " + p.nextLine(60));
        return p;
    }

    private ChildProcess startOrchestrator(FailoverNode node) throws Exception {
        ChildProcess p = cluster.start(node.name() + "-orchestrator", cluster.command("fsck-orchestrator", "-c",
                node.orchestratorConfig().toString(), "run"));
        demo.say(node.name() + ": " + p.nextLine(60));
        return p;
    }

    /** Random 1 MiB blocks through the node's NBD endpoint, after the filesystem; remembered if asked. */
    private void writeBlocks(FailoverNode node, int count, boolean remember) throws Exception {
        String endpoint = replicatorStatus(node).path("nbd").asText();
        List<Long> slots = new ArrayList<>();
        for (long offset = FILESYSTEM; offset < VOLUME; offset += BLOCK) {
            slots.add(offset);
        }
        Collections.shuffle(slots, demo.random());
        try (NbdClient nbd = nbd(endpoint)) {
            for (long offset : slots.subList(0, count)) {
                byte[] block = demo.randomBlock();
                nbd.write(offset, block, false);
                if (remember) {
                    blocks.put(offset, block);
                }
            }
            nbd.flush();
        }
        demo.say(node.name() + ": wrote " + count + " random 1 MiB blocks after the filesystem through nbd://"
                + endpoint + "/r0 and flushed" + (remember ? "" : " (degraded: alpha is away, the blocks stay owed)"));
    }

    private void checkFiles() throws Exception {
        List<String> served = List.of(get("/").strip().split("\n"));
        if (!served.equals(new ArrayList<>(files.keySet()))) {
            throw new IOException("beta serves " + served + " (expected: " + files.keySet() + ")");
        }
        for (Map.Entry<String, String> f : files.entrySet()) {
            byte[] body = getBytes("/" + f.getKey());
            String sha = sha256(body);
            demo.say(String.format("%-12s %9d bytes  SHA-256 %s...  %s", f.getKey(), body.length, sha.substring(0, 16),
                    sha.equals(f.getValue()) ? "intact" : "DIFFERENT"));
            if (!sha.equals(f.getValue())) {
                throw new IOException(f.getKey() + " served by beta differs from the file written before the kill");
            }
        }
    }

    private void checkBlocks() throws Exception {
        String endpoint = replicatorStatus(beta).path("nbd").asText();
        try (NbdClient nbd = nbd(endpoint)) {
            for (Map.Entry<Long, byte[]> b : blocks.entrySet()) {
                if (!Arrays.equals(nbd.read(b.getKey(), BLOCK), b.getValue())) {
                    throw new IOException("the block written through alpha at " + b.getKey()
                            + " reads back different through beta");
                }
            }
        }
        demo.say("the " + blocks.size() + " raw blocks written through alpha read back through beta's nbd://"
                + endpoint + "/r0: all equal");
    }

    private void awaitService(long since) throws Exception {
        long deadline = since + TimeUnit.SECONDS.toNanos(60);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                get("/");
                return;
            } catch (IOException e) {
                last = e;
                Thread.sleep(50);
            }
        }
        String plan;
        try {
            plan = ControlClient.call(beta.orchestratorSocket(), "status", Map.of()).path("lastPlan").toString();
        } catch (IOException e) {
            plan = "unknown (beta's orchestrator does not answer: " + e.getMessage() + ")";
        }
        throw new IOException("beta's file service did not answer within 60 s of the kill; beta's last plan: " + plan
                + " (see " + beta.dir().resolve("files.log") + " and " + cluster.log() + ")", last);
    }

    private JsonNode awaitOrchestrator(FailoverNode node, String what, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        JsonNode status = null;
        while (System.nanoTime() < deadline) {
            try {
                status = ControlClient.call(node.orchestratorSocket(), "status", Map.of());
                if (condition.test(status)) {
                    return status;
                }
            } catch (IOException notYet) {
                // the daemon is starting
            }
            Thread.sleep(100);
        }
        throw new IOException("timed out waiting until " + what + "; last status: " + status);
    }

    private JsonNode replicatorStatus(FailoverNode node) throws IOException {
        JsonNode reply = ControlClient.call(node.replicatorSocket(), "status", Map.of());
        return reply.path("resources").path(0);
    }

    private static long planMillis(JsonNode plan) {
        long total = 0;
        for (JsonNode step : plan.path("steps")) {
            total += step.path("durationMs").asLong();
        }
        return total;
    }

    private void stopService() throws Exception {
        cluster.run(beta.stopCommand());
        if (serviceAddress) {
            cluster.run(List.of(DemoCluster.tool("ip"), "addr", "del", SERVICE_ADDRESS + "/32", "dev", "lo"));
        }
        demo.say("stopped beta's file service" + (serviceAddress ? " and dropped " + SERVICE_ADDRESS
                + "/32 from lo" : ""));
    }

    /** Root with CAP_NET_ADMIN: tried by adding and removing the address (a container may lack it). */
    private boolean canAddServiceAddress() throws InterruptedException {
        String ip = DemoCluster.tool("ip");
        if (ip == null || !"root".equals(System.getProperty("user.name"))) {
            return false;
        }
        try {
            cluster.run(List.of(ip, "addr", "add", SERVICE_ADDRESS + "/32", "dev", "lo"));
            cluster.run(List.of(ip, "addr", "del", SERVICE_ADDRESS + "/32", "dev", "lo"));
        } catch (IOException e) {
            return false;
        }
        cluster.onClose(() -> {
            // after a failure the address may still be up: drop it, quietly if it is gone already
            new ProcessBuilder(ip, "addr", "del", SERVICE_ADDRESS + "/32", "dev", "lo")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        });
        return true;
    }

    private String url(String path) {
        return "http://" + serviceHost + ":" + httpPort + path;
    }

    private String get(String path) throws IOException {
        return new String(getBytes(path), java.nio.charset.StandardCharsets.UTF_8);
    }

    private byte[] getBytes(String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url(path)).openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(5000);
        c.setRequestProperty("Connection", "close");
        try {
            if (c.getResponseCode() != 200) {
                throw new IOException(url(path) + ": HTTP " + c.getResponseCode());
            }
            try (InputStream in = c.getInputStream()) {
                return in.readAllBytes();
            }
        } finally {
            c.disconnect();
        }
    }

    private static NbdClient nbd(String endpoint) throws IOException {
        int colon = endpoint.lastIndexOf(':');
        return NbdClient.connect(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)), "r0");
    }

    private static void sparse(Path image) throws IOException {
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(VOLUME);
        }
    }

    private static String sha256(byte[] data) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }
}
