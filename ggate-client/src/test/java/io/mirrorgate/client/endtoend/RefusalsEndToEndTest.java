package io.mirrorgate.client.endtoend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.client.cli.GgateClientMain;
import io.mirrorgate.server.cli.GgateServerMain;
import io.mirrorgate.common.cli.Keys;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.GgateServerProcess;
import io.mirrorgate.server.testing.JavaProcess;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals at the command line, through real processes: an attach with a bad key, from a host the
 * exports file does not admit, or asking RW of an RO export exits 77 with a one-line reason, and
 * the server keeps serving; a ggate-server with a missing or bad exports file exits 66 or 65
 * naming the file (and line).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EndToEnd
class RefusalsEndToEndTest {
    private static final long SIZE = 16L * 1024 * 1024;
    private static final Duration EXIT = Duration.ofSeconds(30);

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();
    @TempDir
    Path dir;
    private GgateServerProcess server;
    private Path disk;
    private Path ro;
    private Path far;

    private void startServer() throws Exception {
        disk = TestData.sparseFile(dir.resolve("disk.img"), SIZE);
        ro = TestData.sparseFile(dir.resolve("ro.img"), SIZE);
        far = TestData.sparseFile(dir.resolve("far.img"), SIZE);
        server = GgateServerProcess.start(processes, dir, List.of(
                "127.0.0.1    RW  " + disk,
                "127.0.0.1    RO  " + ro,
                "10.9.9.9/32  RW  " + far));
    }

    /** Runs an attach that must be refused with exit 77; returns its one-line reason. */
    private String attachRefused(String name, Path key, Path export, String... options)
            throws Exception {
        return attachFails(77, name, key, server.ggateAddress(), export, options);
    }

    /** Runs an attach that must exit {@code exitCode}; returns its one-line reason. */
    private String attachFails(int exitCode, String name, Path key, String address, Path export,
            String... options) throws Exception {
        JavaProcess p = processes.start(name, dir, GgateClientMain.class, AttachProcess.arguments(
                dir.resolve("run"), key, address, export.toString(), options));
        assertEquals(exitCode, p.waitFor(EXIT), p::story);
        assertEquals(List.of(), p.stdout(), "no URI is printed");
        List<String> reasons = p.stderr().lines().filter(l -> l.startsWith("ggate-client: ")).toList();
        assertEquals(1, reasons.size(), p::story);
        return reasons.get(0);
    }

    /** The server process is up and a good client can write and read back. */
    private void assertServerStillServes(String name) throws Exception {
        assertTrue(server.process().isAlive(), server.process()::story);
        AttachProcess good = AttachProcess.start(processes, dir, name, dir.resolve("run"),
                server.keyFile(), server.ggateAddress(), disk.toString());
        byte[] data = TestData.randomBytes(name.hashCode(), 64 * 1024);
        try (NbdClient nbd = good.connect()) {
            nbd.write(4096, data, true);
            assertArrayEquals(data, nbd.read(4096, data.length));
        }
        assertEquals(TestData.sha256(data), TestData.sha256(disk, 4096, data.length));
        assertEquals(0, good.process().terminate(), "attach exits 0 on SIGTERM");
    }

    @Test
    void attachWithABadKeyExits77WithAReasonAndTheServerKeepsServing() throws Exception {
        startServer();
        Path badKey = dir.resolve("bad.key");
        Keys.generate(badKey, false);
        String reason = attachRefused("attach-bad-key", badKey, disk);
        assertTrue(reason.contains("key"), reason);
        assertServerStillServes("attach-after-bad-key");
    }

    @Test
    void attachFromAHostTheExportsFileDoesNotAdmitIsRefusedAndTheServerKeepsServing()
            throws Exception {
        startServer();
        String reason = attachRefused("attach-far", server.keyFile(), far);
        assertTrue(reason.contains("127.0.0.1") && reason.contains("not allowed"), reason);
        assertServerStillServes("attach-after-far");
    }

    @Test
    void attachAskingRwOfAnRoExportIsRefusedAndTheServerKeepsServing() throws Exception {
        startServer();
        String reason = attachRefused("attach-rw-on-ro", server.keyFile(), ro, "-o", "rw");
        assertTrue(reason.contains("RO"), reason);
        assertServerStillServes("attach-after-rw-on-ro");
    }

    @Test
    void attachOfAnExportTheServerDoesNotHaveExits66AndTheServerKeepsServing() throws Exception {
        startServer();
        Path unknown = dir.resolve("unknown.img");
        String reason = attachFails(66, "attach-unknown", server.keyFile(), server.ggateAddress(),
                unknown);
        assertTrue(reason.contains("no export " + unknown), reason);
        assertServerStillServes("attach-after-unknown");
    }

    @Test
    void attachWithoutAKeyFileOrToAServerThatIsNotThereExits66Or69() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Path key = dir.resolve("key");
        Keys.generate(key, false);
        Path image = dir.resolve("disk.img");
        String noKey = attachFails(66, "attach-no-key", dir.resolve("no-key"),
                "127.0.0.1:" + closedPort, image);
        assertTrue(noKey.contains("cannot read key file " + dir.resolve("no-key") + ": no such file"),
                noKey);
        String unreachable = attachFails(69, "attach-unreachable", key, "127.0.0.1:" + closedPort,
                image);
        assertTrue(unreachable.contains("cannot connect to 127.0.0.1:" + closedPort), unreachable);
    }

    @Test
    void serverWithAMissingExportsFileExits66NamingTheFile() throws Exception {
        Path key = dir.resolve("key");
        Keys.generate(key, false);
        Path missing = dir.resolve("no-such-exports");
        JavaProcess p = processes.start("server-missing-exports", dir, GgateServerMain.class,
                GgateServerProcess.arguments(missing, key, dir.resolve("state"), 0, 0));
        assertEquals(66, p.waitFor(EXIT), p::story);
        assertTrue(p.stderr().contains("ggate-server: " + missing), p::story);
    }

    @Test
    void serverWithABadExportsLineExits65NamingFileAndLine() throws Exception {
        Path key = dir.resolve("key");
        Keys.generate(key, false);
        Path exports = Files.write(dir.resolve("exports"), List.of(
                "# a comment", "127.0.0.1 RW " + dir.resolve("disk.img"), "127.0.0.1 RX /data/x.img"));
        JavaProcess p = processes.start("server-bad-exports", dir, GgateServerMain.class,
                GgateServerProcess.arguments(exports, key, dir.resolve("state"), 0, 0));
        assertEquals(65, p.waitFor(EXIT), p::story);
        assertTrue(p.stderr().contains("ggate-server: " + exports + ":3: access: RX"), p::story);
    }
}
