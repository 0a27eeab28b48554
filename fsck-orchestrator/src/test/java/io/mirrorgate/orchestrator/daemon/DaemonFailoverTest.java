package io.mirrorgate.orchestrator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.orchestrator.cli.OrchestratorMain;
import io.mirrorgate.orchestrator.config.OrchestratorConfig;
import io.mirrorgate.common.cli.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real daemons on loopback (127.0.0.1 and 127.0.0.2, one UDP port), each driving a fake
 * {@code replicator} script that keeps the role and epoch of r0 in files: the primary's daemon
 * stops, the standby takes over by itself after deadtime; the old primary, restarted, learns
 * from the heartbeats that it was superseded and steps down.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DaemonFailoverTest {
    private static final String FAKE_REPLICATOR = """
            #!/bin/sh
            # fake replicator: DIR then the replicator's arguments (without -c)
            dir=$1; shift
            epoch=$(cat "$dir/epoch-r0" 2>/dev/null || echo 1)
            case "$1" in
              fence) echo $((epoch + 1)) > "$dir/epoch-r0"; echo "fence $2" >> "$dir/replicator.log"; echo fenced ;;
              role) echo "$3" > "$dir/role-$2"; echo "role $2 $3 $4" >> "$dir/replicator.log"; echo "now $3" ;;
              status) role=$(cat "$dir/role-r0" 2>/dev/null || echo secondary)
                printf '[{"resource":"r0","role":"%s","state":"connected","epoch":%s,"fenced":false,' "$role" "$epoch"
                printf '"peer":{"connected":false,"role":"secondary","epoch":0}}]\\n' ;;
              *) exit 64 ;;
            esac
            """;

    @TempDir
    Path dir;

    private final List<OrchestratorDaemon> running = new ArrayList<>();
    private int port;

    @BeforeEach
    void setUp() throws Exception {
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        Files.writeString(dir.resolve("replicator.sh"), FAKE_REPLICATOR);
        Files.write(dir.resolve("key"), "a shared heartbeat key".getBytes());
    }

    @AfterEach
    void stopAll() {
        running.forEach(OrchestratorDaemon::close);
    }

    private Path node(String name, String peer, String role) throws Exception {
        Path home = Files.createDirectories(dir.resolve(name));
        Files.writeString(home.resolve("role-r0"), role + "\n");
        String ip = name.equals("alpha") ? "127.0.0.1" : "127.0.0.2";
        String peerIp = name.equals("alpha") ? "127.0.0.2" : "127.0.0.1";
        Path config = home.resolve("orchestrator.toml");
        Files.writeString(config, "node = \"" + name + "\"\naddress = \"" + ip + "\"\n"
                + "replicator = [\"/bin/sh\", \"" + dir.resolve("replicator.sh") + "\", \"" + home + "\"]\n"
                + "state_dir = \"" + home.resolve("state") + "\"\ncontrol = \"" + home.resolve("o.sock") + "\"\n"
                + "status_interval = \"300ms\"\nstep_timeout = \"10s\"\n"
                + "[peer]\nnode = \"" + peer + "\"\naddress = \"" + peerIp + "\"\n"
                + "[heartbeat]\nport = " + port + "\nkey_file = \"" + dir.resolve("key") + "\"\nkeepalive = \"100ms\"\n"
                + "warntime = \"300ms\"\ndeadtime = \"600ms\"\ninitdead = \"3s\"\n"
                + "[resource.r0]\ndevice = \"/dev/null\"\nfsck = [\"/bin/sh\", \"-c\", \"echo fsck >> "
                + home.resolve("fsck.log") + "\"]\n"
                + "[[service]]\nname = \"web\"\nstart = [\"touch\", \"" + home.resolve("web.running") + "\"]\n"
                + "stop = [\"rm\", \"-f\", \"" + home.resolve("web.running") + "\"]\n"
                + "status = [\"test\", \"-e\", \"" + home.resolve("web.running") + "\"]\n");
        return config;
    }

    private OrchestratorDaemon start(Path config) {
        OrchestratorDaemon d = OrchestratorDaemon.start(OrchestratorConfig.load(config));
        running.add(d);
        return d;
    }

    private static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeoutMs + "ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file).strip() : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String[] cli(Path config, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of("-c", config.toString()));
        all.addAll(List.of(args));
        int code = OrchestratorMain.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void theStandbyTakesOverByItselfAndTheOldPrimaryStepsDownWhenItReturns() throws Exception {
        Path alphaConfig = node("alpha", "beta", "primary");
        Path betaConfig = node("beta", "alpha", "secondary");
        Path alphaHome = dir.resolve("alpha");
        Path betaHome = dir.resolve("beta");
        OrchestratorDaemon alpha = start(alphaConfig);
        OrchestratorDaemon beta = start(betaConfig);

        await("both see each other", 10_000, () -> beta.supervisor().status().path("peer").path("role").asText()
                .equals("primary") && alpha.supervisor().status().path("peer").path("role").asText().equals("secondary"));
        String[] refused = cli(betaConfig, "promote-standby");
        assertEquals(Integer.toString(ExitCodes.DATA_ERROR), refused[0], refused[2]);
        assertTrue(refused[2].contains("refused: the peer alpha is alive and primary"), refused[2]);
        String[] status = cli(betaConfig, "status");
        assertEquals("0", status[0], status[2]);
        assertTrue(status[1].contains("peer alpha (127.0.0.1:" + port + "): alive, primary, epoch 1"), status[1]);

        long killed = System.nanoTime();
        alpha.close(); // the primary's orchestrator (and with it its heartbeats) is gone
        await("beta takes over", 10_000, () -> read(betaHome.resolve("role-r0")).equals("primary")
                && Files.exists(betaHome.resolve("web.running")));
        long tookOverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        System.out.println("takeover " + tookOverMs + "ms after the primary's heartbeats stopped (deadtime 600ms)");
        assertTrue(tookOverMs >= 500, "not before deadtime: " + tookOverMs + "ms");
        assertEquals("fence r0\nrole r0 primary --force", read(betaHome.resolve("replicator.log")));
        assertEquals("fsck", read(betaHome.resolve("fsck.log")));
        await("the plan is recorded", 5_000, () -> beta.supervisor().status().path("lastPlan").path("outcome")
                .asText().equals("ok"));
        JsonNode betaStatus = new ObjectMapper().readTree(cli(betaConfig, "status", "--json")[1]);
        assertEquals("takeover", betaStatus.path("lastPlan").path("plan").asText());
        assertEquals(7, betaStatus.path("lastPlan").path("steps").size());

        // alpha comes back, still believing it is primary (epoch 1), its service still up
        Files.writeString(alphaHome.resolve("web.running"), "");
        OrchestratorDaemon alphaAgain = start(alphaConfig);
        await("alpha steps down", 10_000, () -> read(alphaHome.resolve("role-r0")).equals("secondary"));
        assertFalse(Files.exists(alphaHome.resolve("web.running")), "its service was stopped");
        await("alpha records it", 5_000, () -> alphaAgain.supervisor().status().path("lastPlan").path("plan").asText()
                .equals("demote"));
        assertTrue(alphaAgain.supervisor().status().path("lastPlan").path("reason").asText()
                .startsWith("superseded: the peer is primary with epoch 2 > 1"));
        Thread.sleep(1000);
        assertEquals("primary", read(betaHome.resolve("role-r0")), "beta stays primary");
        assertEquals("secondary", read(alphaHome.resolve("role-r0")), "without auto_failback alpha stays secondary");
    }
}
