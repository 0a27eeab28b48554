package io.mirrorgate.orchestrator.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.replicator.cli.ReplicatorMain;
import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.replicator.resource.ResourceInitializer;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.JavaProcess;
import io.mirrorgate.server.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orchestrator against the real replicator (its command line run as the configured {@code
 * replicator} command, in child JVMs): two replicators on loopback, alpha primary and beta
 * secondary, an orchestrator daemon beside each. Data is written through alpha's NBD endpoint;
 * alpha's replicator is SIGKILLed and its orchestrator stopped; beta's orchestrator fences and
 * promotes beta by itself, and the data reads back through beta's endpoint. Alpha, started again
 * as primary, is fenced, and its orchestrator makes it secondary.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@EndToEnd
class RealReplicatorFailoverTest {
    private static final long SIZE = 32L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<JavaProcess> replicators = new ArrayList<>();
    private final List<OrchestratorDaemon> orchestrators = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        orchestrators.forEach(OrchestratorDaemon::close);
        for (JavaProcess p : replicators) {
            p.kill();
        }
    }

    private Path replicatorConfig(String name, String role, int listen, int peerListen) throws Exception {
        Path config = dir.resolve(name + "-replicator.toml");
        Files.writeString(config, "node = \"" + name + "\"\ncontrol = \"" + dir.resolve(name + "-r.sock") + "\"\n"
                + "metrics = \"off\"\n[resource.r0]\nlocal = \"" + dir.resolve(name + ".img") + "\"\n"
                + "role = \"" + role + "\"\nremote = \"127.0.0.1:" + peerListen + "\"\nremote_path = \"r0\"\n"
                + "listen = \"127.0.0.1:" + listen + "\"\nkey_file = \"" + dir.resolve("key") + "\"\n"
                + "timeout = \"5s\"\nnbd_listen = \"127.0.0.1:0\"\nregion_size = \"1MiB\"\n"
                + "resync_rate = \"unlimited\"\n");
        TestData.sparseFile(dir.resolve(name + ".img"), SIZE);
        ResourceInitializer.create(ReplicatorConfig.load(config).resource("r0"), false, OptionalLong.of(SIZE));
        return config;
    }

    private void startReplicator(String name, Path config) throws Exception {
        JavaProcess p = JavaProcess.start(name + "-replicator-" + replicators.size(), dir, ReplicatorMain.class,
                List.of("-c", config.toString(), "run"));
        replicators.add(p);
        String ready = p.readLine(Duration.ofSeconds(60));
        assertTrue(ready != null && ready.startsWith("replicator running"), name + ": " + p.story());
    }

    /** The replicator command line as a child JVM, as an operator's {@code replicator} script runs it. */
    private static String replicatorCommand(Path config) {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports")) {
                argv.add(arg);
            }
        }
        argv.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                ReplicatorMain.class.getName(), "-c", config.toString()));
        StringBuilder toml = new StringBuilder("[");
        for (String a : argv) {
            toml.append(toml.length() > 1 ? ", " : "").append('"').append(a.replace("\\", "\\\\")).append('"');
        }
        return toml.append(']').toString();
    }

    private OrchestratorDaemon startOrchestrator(String name, String peer, Path replicatorConfig, int port)
            throws Exception {
        Path home = Files.createDirectories(dir.resolve(name));
        Path config = home.resolve("orchestrator.toml");
        Files.writeString(config, "node = \"" + name + "\"\naddress = \"" + ip(name) + "\"\n"
                + "replicator = " + replicatorCommand(replicatorConfig) + "\n"
                + "state_dir = \"" + home.resolve("state") + "\"\ncontrol = \"" + home.resolve("o.sock") + "\"\n"
                + "status_interval = \"1s\"\nstep_timeout = \"60s\"\n"
                + "[peer]\nnode = \"" + peer + "\"\naddress = \"" + ip(peer) + "\"\n"
                + "[heartbeat]\nport = " + port + "\nkey_file = \"" + dir.resolve("key") + "\"\n"
                + "keepalive = \"200ms\"\nwarntime = \"1s\"\ndeadtime = \"2s\"\ninitdead = \"30s\"\n"
                + "[resource.r0]\n"
                + "[[service]]\nname = \"app\"\nstart = [\"touch\", \"" + home.resolve("app.running") + "\"]\n"
                + "stop = [\"rm\", \"-f\", \"" + home.resolve("app.running") + "\"]\n"
                + "status = [\"test\", \"-e\", \"" + home.resolve("app.running") + "\"]\n");
        OrchestratorDaemon d = OrchestratorDaemon.start(OrchestratorConfig.load(config));
        orchestrators.add(d);
        return d;
    }

    private static String ip(String node) {
        return node.equals("alpha") ? "127.0.0.1" : "127.0.0.2";
    }

    private static JsonNode replicatorStatus(Path config) throws Exception {
        StringWriter out = new StringWriter();
        int code = ReplicatorMain.newCommandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))
                .execute("-c", config.toString(), "status", "r0", "--json");
        return code == 0 || code == 78 ? JSON.readTree(out.toString()).get(0) : JSON.createObjectNode();
    }

    private static JsonNode await(String what, Path config, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        JsonNode s = replicatorStatus(config);
        while (!condition.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; last status: " + s);
            }
            Thread.sleep(100);
            s = replicatorStatus(config);
        }
        return s;
    }

    private static NbdClient nbd(JsonNode status) throws Exception {
        String endpoint = status.path("nbd").asText();
        int colon = endpoint.lastIndexOf(':');
        return NbdClient.connect(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)), "r0");
    }

    @Test
    void theOrchestratorFailsOverRealReplicatorsAndTheOldPrimaryRejoinsAsSecondary() throws Exception {
        Files.write(dir.resolve("key"), TestData.randomBytes(11, 32));
        int[] ports = new int[3];
        try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0);
                DatagramSocket u = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            ports = new int[] {a.getLocalPort(), b.getLocalPort(), u.getLocalPort()};
        }
        Path alphaR = replicatorConfig("alpha", "primary", ports[0], ports[1]);
        Path betaR = replicatorConfig("beta", "secondary", ports[1], ports[0]);
        startReplicator("beta", betaR);
        startReplicator("alpha", alphaR);
        JsonNode alphaStatus = await("alpha in sync", alphaR, s -> s.path("state").asText().equals("connected")
                && s.path("resync").path("state").asText().equals("done"));

        byte[] data = TestData.randomBytes(42, 1 << 20);
        try (NbdClient client = nbd(alphaStatus)) {
            client.write(5L << 20, data, true);
        }
        OrchestratorDaemon alpha = startOrchestrator("alpha", "beta", alphaR, ports[2]);
        OrchestratorDaemon beta = startOrchestrator("beta", "alpha", betaR, ports[2]);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(beta.supervisor().status().path("node").path("role").asText().equals("secondary")
                && beta.supervisor().status().path("peer").path("role").asText().equals("primary"))) {
            assertTrue(System.nanoTime() < deadline, "beta sees alpha as primary: " + beta.supervisor().status());
            Thread.sleep(100);
        }

        long killed = System.nanoTime();
        replicators.get(1).kill(); // alpha's replicator, SIGKILL
        alpha.close();
        JsonNode betaStatus = await("beta primary", betaR, s -> s.path("role").asText().equals("primary"));
        System.out.println("real replicators: beta primary " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed)
                + "ms after alpha was killed (deadtime 2s, replicator CLI in child JVMs)");
        while (!Files.exists(dir.resolve("beta").resolve("app.running"))) {
            assertTrue(System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(90), "beta's service starts");
            Thread.sleep(100);
        }
        try (NbdClient client = nbd(betaStatus)) {
            assertArrayEquals(data, client.read(5L << 20, data.length), "written through alpha, read through beta");
        }
        JsonNode plan = beta.supervisor().status().path("lastPlan");
        while (plan.path("outcome").asText().equals("running")) { // the services are up before the record ends
            assertTrue(System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(90), plan.toString());
            Thread.sleep(50);
            plan = beta.supervisor().status().path("lastPlan");
        }
        assertEquals("ok", plan.path("outcome").asText(), plan.toString());
        assertTrue(betaStatus.path("epoch").asLong() > alphaStatus.path("epoch").asLong(), betaStatus.toString());

        // alpha comes back with its configuration's role (primary): fenced, its orchestrator demotes it
        startReplicator("alpha", alphaR);
        startOrchestrator("alpha", "beta", alphaR, ports[2]);
        await("alpha secondary", alphaR, s -> s.path("role").asText().equals("secondary"));
        await("beta in sync with alpha", betaR, s -> s.path("state").asText().equals("connected")
                && s.path("resync").path("state").asText().equals("done"));
        assertEquals("primary", replicatorStatus(betaR).path("role").asText());
    }
}
