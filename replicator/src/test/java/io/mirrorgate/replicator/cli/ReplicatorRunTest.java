package io.mirrorgate.replicator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.replicator.testing.ReplicatorProcess;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code replicator run} as its own process: ready line, peer down at start, SIGTERM, SIGKILL. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EndToEnd
class ReplicatorRunTest {
    @TempDir
    Path dir;

    private MirrorPair pair;
    private ReplicatorProcess process;

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            process.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void runsWithThePeerDownThenSyncsAndStopsCleanlyOnSigterm() throws Exception {
        pair = MirrorPair.builder(dir).startPrimary(false).start();
        pair.stopStandby();
        process = ReplicatorProcess.start(pair.configFile(), dir.resolve("run.err"), Duration.ofSeconds(60));
        assertTrue(process.readyLine().startsWith("replicator running resource=r0 nbd=127.0.0.1:"), process.readyLine());
        assertEquals(pair.controlSocket(), process.controlSocket());
        assertTrue(process.metricsPort() > 0, process.readyLine());

        try (NbdClient nbd = NbdClient.connect("127.0.0.1", process.nbdPort(), "r0")) {
            for (int i = 0; i < 16; i++) {
                nbd.write(i * 262144L, TestData.randomBytes(i, 65536), false);
            }
            nbd.flush();
        }
        MirrorPair.CliResult away = pair.cli("status", "--json");
        assertEquals(ExitCodes.OK, away.exitCode(), away.err());
        assertTrue(away.out().contains("\"state\":\"disconnected\""), away.out());

        pair.startStandby();
        MirrorPair.CliResult watch = pair.cli("status", "--watch", "--interval", "0.2");
        assertEquals(ExitCodes.OK, watch.exitCode(), watch.out() + watch.err());
        assertTrue(watch.out().strip().endsWith("done"), watch.out());

        assertEquals(ExitCodes.OK, process.stop(Duration.ofSeconds(60)), Files.readString(dir.resolve("run.err")));
        assertFalse(Files.exists(pair.controlSocket()), "control socket removed");
        assertEquals(pair.primarySha256(), pair.standbySha256());
        MirrorPair.CliResult dump = pair.cli("dump-metadata", "r0");
        assertTrue(dump.out().contains("clean shutdown: yes\n"), dump.out());
        assertTrue(dump.out().contains("marked:         0 regions"), "clean stop in sync leaves nothing marked: "
                + dump.out());
        assertTrue(Files.readString(dir.resolve("run.err")).contains("peer unreachable resource=r0"),
                "the unreachable peer is logged");
    }

    @Test
    void aStaleControlSocketLeftBySigkillDoesNotBlockTheNextRun() throws Exception {
        pair = MirrorPair.builder(dir).startPrimary(false).start();
        process = ReplicatorProcess.start(pair.configFile(), dir.resolve("run1.err"), Duration.ofSeconds(60));
        process.kill();
        assertTrue(Files.exists(pair.controlSocket()), "SIGKILL leaves the socket file");
        MirrorPair.CliResult dead = pair.cli("status");
        assertEquals(ExitCodes.UNAVAILABLE, dead.exitCode(), dead.err());

        process = ReplicatorProcess.start(pair.configFile(), dir.resolve("run2.err"), Duration.ofSeconds(60));
        MirrorPair.CliResult status = pair.cli("status", "r0", "--watch", "--interval", "0.2");
        assertEquals(ExitCodes.OK, status.exitCode(), status.err());
        assertEquals(ExitCodes.OK, process.stop(Duration.ofSeconds(60)));
        assertEquals(pair.primarySha256(), pair.standbySha256());
    }
}
