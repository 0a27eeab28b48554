package io.mirrorgate.orchestrator.endtoend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.orchestrator.cli.OrchestratorMain;
import io.mirrorgate.orchestrator.platform.ProcessRunner;
import io.mirrorgate.replicator.cli.ReplicatorMain;
import io.mirrorgate.replicator.config.ReplicatorConfig;
import io.mirrorgate.replicator.resource.ResourceInitializer;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ExternalTools;
import io.mirrorgate.server.testing.TestData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failover of issue 7, end to end, in network namespaces: alpha and beta run the replicator
 * and the orchestrator (child JVMs), a client reads files through a small TCP service on the
 * service address 10.77.0.100, all on one bridge. Alpha is primary with ext4 on the mirrored
 * volume (nbdfuse + loop). Every process of alpha is SIGKILLed (and its link taken down, as a
 * dead machine's would be): beta's orchestrator takes over by itself (fence, promote, attach and
 * fsck, mount, address with gratuitous ARP, service); the client's neighbour entry points at
 * beta's MAC and every file written before the kill reads back intact. Prints the time from the
 * kill to the first successful read. Then alpha comes back: its orchestrator makes it secondary
 * (superseded), it is resynced, and {@code demote} on beta followed by {@code promote-standby}
 * on alpha moves everything back, with the files written on beta meanwhile.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@EndToEnd
class FailoverEndToEndTest {
    private static final long SIZE = 64L << 20;
    private static final String SERVICE = "10.77.0.100";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private NetnsLab lab;
    private final Map<String, String> sums = new LinkedHashMap<>();

    @AfterEach
    void cleanUp() {
        for (String node : List.of("alpha", "beta")) {
            Path home = dir.resolve(node);
            for (String pidFile : List.of("web.pid", "nbdfuse.pid")) {
                quietly("sh", "-c", "kill -9 $(cat " + home.resolve(pidFile) + ") 2>/dev/null");
            }
            quietly("umount", "-l", home.resolve("mnt").toString());
            quietly("sh", "-c", "[ -L " + home.resolve("dev") + " ] && losetup -d $(readlink " + home.resolve("dev") + ")");
            quietly("fusermount3", "-u", "-z", home.resolve("fuse").toString());
            quietly("rm", "-f", home.resolve("dev").toString());
        }
        if (lab != null) {
            lab.close();
        }
    }

    private void quietly(String... argv) {
        new ProcessRunner().run(List.of(argv), Duration.ofSeconds(30));
    }

    private static String toml(List<String> argv) {
        StringBuilder sb = new StringBuilder("[");
        for (String a : argv) {
            sb.append(sb.length() > 1 ? ", " : "").append('"').append(a.replace("\\", "\\\\").replace("\"", "\\\""))
                    .append('"');
        }
        return sb.append(']').toString();
    }

    private Path replicatorConfig(String node, String role, String ip, String peerIp) throws Exception {
        Path home = Files.createDirectories(dir.resolve(node));
        Path config = home.resolve("replicator.toml");
        Files.writeString(config, "node = \"" + node + "\"\ncontrol = \"" + home.resolve("r.sock") + "\"\n"
                + "metrics = \"off\"\n[resource.r0]\nlocal = \"" + home.resolve("r0.img") + "\"\n"
                + "role = \"" + role + "\"\nremote = \"" + peerIp + ":7790\"\nremote_path = \"r0\"\n"
                + "listen = \"" + ip + ":7790\"\nkey_file = \"" + dir.resolve("key") + "\"\ntimeout = \"5s\"\n"
                + "nbd_listen = \"127.0.0.1:10809\"\nregion_size = \"1MiB\"\nresync_rate = \"unlimited\"\n");
        TestData.sparseFile(home.resolve("r0.img"), SIZE);
        ResourceInitializer.create(ReplicatorConfig.load(config).resource("r0"), false, OptionalLong.of(SIZE));
        return config;
    }

    /** Attaches the node's NBD endpoint as a loop device, linked as {@code HOME/dev}; idempotent. */
    private String attach(Path home) {
        String nbdfuse = ExternalTools.require("nbdfuse");
        return "H=" + home + "; if [ -L $H/dev ] && [ -e $H/fuse/nbd ]; then exit 0; fi; mkdir -p $H/fuse; "
                + nbdfuse + " -P $H/nbdfuse.pid $H/fuse nbd://127.0.0.1:10809/r0 </dev/null >>$H/nbdfuse.log 2>&1 & "
                + "i=0; while [ ! -s $H/nbdfuse.pid ] || [ ! -e $H/fuse/nbd ]; do i=$((i+1)); "
                + "if [ $i -gt 600 ]; then echo nbdfuse not ready >&2; exit 1; fi; sleep 0.05; done; "
                + "ln -sfn \"$(losetup -f --show $H/fuse/nbd)\" $H/dev";
    }

    private String startService(Path home) {
        return "nohup " + String.join(" ", NetnsLab.java(FileService.class, List.of("serve", SERVICE, "8080",
                home.resolve("mnt").toString()))) + " >>" + home.resolve("web.log") + " 2>&1 </dev/null & echo $! > "
                + home.resolve("web.pid");
    }

    private Path orchestratorConfig(String node, String peer, String ip, String peerIp, Path replicator)
            throws Exception {
        Path home = dir.resolve(node);
        Path config = home.resolve("orchestrator.toml");
        String pid = home.resolve("web.pid").toString();
        Files.writeString(config, "node = \"" + node + "\"\naddress = \"" + ip + "\"\nplatform = \"linux\"\n"
                + "replicator = " + toml(NetnsLab.java(ReplicatorMain.class, List.of("-c", replicator.toString())))
                + "\nstate_dir = \"" + home.resolve("state") + "\"\ncontrol = \"" + home.resolve("o.sock") + "\"\n"
                + "status_interval = \"3s\"\nstep_timeout = \"60s\"\nfsck_timeout = \"120s\"\n"
                + "[peer]\nnode = \"" + peer + "\"\naddress = \"" + peerIp + "\"\n"
                + "[heartbeat]\nkey_file = \"" + dir.resolve("key") + "\"\nkeepalive = \"200ms\"\n"
                + "warntime = \"500ms\"\ndeadtime = \"1s\"\ninitdead = \"30s\"\n"
                + "[resource.r0]\ndevice = \"" + home.resolve("dev") + "\"\nmount = \"" + home.resolve("mnt") + "\"\n"
                + "attach = " + toml(List.of("sh", "-c", attach(home))) + "\n"
                + "detach = " + toml(List.of("sh", "-c", "H=" + home + "; losetup -d $(readlink $H/dev); "
                        + "kill $(cat $H/nbdfuse.pid); fusermount3 -u -z $H/fuse; rm -f $H/dev $H/nbdfuse.pid")) + "\n"
                + "[[service_address]]\naddress = \"" + SERVICE + "/24\"\ninterface = \"" + NetnsLab.iface(node) + "\"\n"
                + "[[service]]\nname = \"files\"\nstart = " + toml(List.of("sh", "-c", startService(home))) + "\n"
                + "stop = " + toml(List.of("sh", "-c", "kill $(cat " + pid + ")")) + "\n"
                + "status = " + toml(List.of("sh", "-c", "kill -0 $(cat " + pid + ") 2>/dev/null")) + "\n");
        return config;
    }

    private static JsonNode cliJson(Class<?> main, Path config, String... args) throws Exception {
        StringWriter out = new StringWriter();
        List<String> all = new ArrayList<>(List.of("-c", config.toString()));
        all.addAll(List.of(args));
        PrintWriter err = new PrintWriter(new StringWriter(), true);
        int code = main == ReplicatorMain.class
                ? ReplicatorMain.newCommandLine(new PrintWriter(out, true), err).execute(all.toArray(String[]::new))
                : OrchestratorMain.newCommandLine(new PrintWriter(out, true), err).execute(all.toArray(String[]::new));
        return code == 0 ? JSON.readTree(out.toString()) : JSON.createObjectNode();
    }

    private static JsonNode await(String what, long seconds, Class<?> main, Path config, Predicate<JsonNode> ok,
            String... args) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        JsonNode s = cliJson(main, config, args);
        while (!ok.test(s)) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what + "; last: " + s);
            Thread.sleep(200);
            s = cliJson(main, config, args);
        }
        return s;
    }

    private NetnsLab.Child startJava(String node, String name, Class<?> main, List<String> args, String ready)
            throws Exception {
        NetnsLab.Child c = lab.start(node, name, NetnsLab.java(main, args));
        String line = c.nextLine(Duration.ofSeconds(90));
        assertTrue(line != null && line.startsWith(ready), name + " printed " + line + "; see " + name + ".log");
        return c;
    }

    @Test
    void theStandbyTakesOverByItselfAndTheClientReadsEveryFileThroughIt() throws Exception {
        ExternalTools.requireRoot();
        for (String tool : List.of("ip", "nsenter", "nbdfuse", "fusermount3", "losetup", "mkfs.ext4", "e2fsck",
                "arping", "mount", "umount")) {
            ExternalTools.require(tool);
        }
        lab = new NetnsLab(dir);
        lab.addNode("alpha", "10.77.0.1/24");
        lab.addNode("beta", "10.77.0.2/24");
        lab.addNode("client", "10.77.0.10/24");
        Files.write(dir.resolve("key"), TestData.randomBytes(3, 32));
        Path alphaR = replicatorConfig("alpha", "primary", "10.77.0.1", "10.77.0.2");
        Path betaR = replicatorConfig("beta", "secondary", "10.77.0.2", "10.77.0.1");
        List<NetnsLab.Child> alphaProcesses = new ArrayList<>();
        startJava("beta", "beta-replicator", ReplicatorMain.class, List.of("-c", betaR.toString(), "run"),
                "replicator running");
        alphaProcesses.add(startJava("alpha", "alpha-replicator", ReplicatorMain.class,
                List.of("-c", alphaR.toString(), "run"), "replicator running"));
        await("alpha in sync", 120, ReplicatorMain.class, alphaR, s -> s.path(0).path("state").asText()
                .equals("connected") && s.path(0).path("resync").path("state").asText().equals("done"),
                "status", "--json");

        // alpha as the takeover plan leaves a primary: ext4 mounted, the address up, the service started
        Path alpha = dir.resolve("alpha");
        Files.createDirectories(alpha.resolve("mnt"));
        Files.createDirectories(dir.resolve("beta").resolve("mnt"));
        lab.sh(lab.in("alpha", List.of("sh", "-c", attach(alpha))).toArray(String[]::new));
        lab.sh("mkfs.ext4", "-q", "-F", alpha.resolve("dev").toString());
        lab.sh("mount", alpha.resolve("dev").toString(), alpha.resolve("mnt").toString());
        for (int i = 0; i < 5; i++) {
            byte[] content = TestData.randomBytes(100 + i, (i + 1) << 20);
            Files.write(alpha.resolve("mnt").resolve("file" + i), content);
            sums.put("file" + i, TestData.sha256(content));
        }
        lab.sh("sync");
        lab.sh(lab.in("alpha", List.of("ip", "addr", "add", SERVICE + "/24", "dev", "valpha")).toArray(String[]::new));
        lab.sh(lab.in("alpha", List.of("sh", "-c", startService(alpha))).toArray(String[]::new));

        Path alphaO = orchestratorConfig("alpha", "beta", "10.77.0.1", "10.77.0.2", alphaR);
        Path betaO = orchestratorConfig("beta", "alpha", "10.77.0.2", "10.77.0.1", betaR);
        alphaProcesses.add(startJava("alpha", "alpha-orchestrator", OrchestratorMain.class,
                List.of("-c", alphaO.toString(), "run"), "fsck-orchestrator running"));
        startJava("beta", "beta-orchestrator", OrchestratorMain.class, List.of("-c", betaO.toString(), "run"),
                "fsck-orchestrator running");
        await("beta sees alpha primary", 60, OrchestratorMain.class, betaO, s -> s.path("peer").path("role").asText()
                .equals("primary") && s.path("node").path("role").asText().equals("secondary"), "status", "--json");

        NetnsLab.Child client = lab.start("client", "client", NetnsLab.java(FileService.class,
                List.of("client", SERVICE, "8080")));
        assertEquals("ok file0 " + sums.get("file0"), read(client, "file0", 60), "served by alpha");
        assertTrue(lab.neighbour("client", SERVICE).contains(lab.mac("alpha")), lab.neighbour("client", SERVICE));

        // the primary dies: every process SIGKILLed, its link down
        long killed = System.nanoTime();
        for (NetnsLab.Child c : alphaProcesses) {
            c.kill();
        }
        lab.sh("sh", "-c", "kill -9 $(cat " + alpha.resolve("web.pid") + ") $(cat " + alpha.resolve("nbdfuse.pid")
                + ")");
        lab.sh(lab.in("alpha", List.of("ip", "link", "set", "valpha", "down")).toArray(String[]::new));

        String first = read(client, "file0", 120);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        System.out.println("failover: first successful client read " + ms + "ms after the kill (deadtime 1s)");
        assertEquals("ok file0 " + sums.get("file0"), first);
        assertTrue(lab.neighbour("client", SERVICE).contains(lab.mac("beta")),
                "gratuitous ARP: " + lab.neighbour("client", SERVICE) + ", beta " + lab.mac("beta"));
        for (Map.Entry<String, String> e : sums.entrySet()) {
            assertEquals("ok " + e.getKey() + " " + e.getValue(), read(client, e.getKey(), 30));
        }
        JsonNode plan = await("the takeover recorded (notify waits for arping's three announcements)", 30,
                OrchestratorMain.class, betaO, s -> !s.path("lastPlan").path("outcome").asText("running")
                        .equals("running"), "status", "--json").path("lastPlan");
        assertEquals("ok", plan.path("outcome").asText(), plan.toString());
        for (JsonNode step : plan.path("steps")) {
            System.out.println("  " + step.path("step").asText() + " " + step.path("durationMs").asLong() + "ms "
                    + step.path("detail").asText());
        }

        // beta writes on; alpha comes back as after a reboot (nothing mounted, no address, link up)
        byte[] later = TestData.randomBytes(200, 3 << 20);
        Files.write(dir.resolve("beta").resolve("mnt").resolve("after-takeover"), later);
        sums.put("after-takeover", TestData.sha256(later));
        lab.sh("sync");
        rebooted(alpha);
        lab.sh(lab.in("alpha", List.of("ip", "addr", "del", SERVICE + "/24", "dev", "valpha")).toArray(String[]::new));
        lab.sh(lab.in("alpha", List.of("ip", "link", "set", "valpha", "up")).toArray(String[]::new));
        startJava("alpha", "alpha-replicator-2", ReplicatorMain.class, List.of("-c", alphaR.toString(), "run"),
                "replicator running");
        startJava("alpha", "alpha-orchestrator-2", OrchestratorMain.class, List.of("-c", alphaO.toString(), "run"),
                "fsck-orchestrator running");
        await("alpha superseded, secondary", 120, ReplicatorMain.class, alphaR, s -> s.path(0).path("role").asText()
                .equals("secondary"), "status", "--json");
        await("beta in sync with alpha", 120, ReplicatorMain.class, betaR, s -> s.path(0).path("state").asText()
                .equals("connected") && s.path(0).path("resync").path("state").asText().equals("done"),
                "status", "--json");

        // a planned switch back: demote on beta, then promote-standby on alpha
        runCli("beta", betaO, "demote");
        await("alpha hears beta secondary", 30, OrchestratorMain.class, alphaO, s -> s.path("peer").path("role")
                .asText().equals("secondary"), "status", "--json");
        runCli("alpha", alphaO, "promote-standby");
        for (Map.Entry<String, String> e : sums.entrySet()) {
            assertEquals("ok " + e.getKey() + " " + e.getValue(), read(client, e.getKey(), 60), "through alpha again");
        }
        assertTrue(lab.neighbour("client", SERVICE).contains(lab.mac("alpha")), lab.neighbour("client", SERVICE));
    }

    /** What a reboot clears: the dead node's mount, loop device and FUSE mount. */
    private void rebooted(Path home) {
        lab.sh("umount", "-l", home.resolve("mnt").toString());
        lab.sh("sh", "-c", "losetup -d $(readlink " + home.resolve("dev") + ")");
        lab.sh("fusermount3", "-u", "-z", home.resolve("fuse").toString());
        lab.sh("rm", "-f", home.resolve("dev").toString(), home.resolve("nbdfuse.pid").toString());
    }

    private void runCli(String node, Path config, String command) {
        var r = lab.tryRun(lab.in(node, NetnsLab.java(OrchestratorMain.class, List.of("-c", config.toString(),
                command))));
        assertTrue(r.ok(), node + " " + command + ": " + r.describe() + "\n" + r.output() + r.errors());
    }

    /** Asks the client for {@code name} until it answers "ok" (or the time is up); its last answer. */
    private static String read(NetnsLab.Child client, String name, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String answer = null;
        while (System.nanoTime() < deadline) {
            client.send(name);
            answer = client.nextLine(Duration.ofSeconds(10));
            if (answer != null && answer.startsWith("ok ")) {
                return answer;
            }
            Thread.sleep(50);
        }
        return answer;
    }
}
