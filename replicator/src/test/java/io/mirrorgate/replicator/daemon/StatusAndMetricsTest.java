package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mirrorgate.replicator.resource.ResourceStatus;
import io.mirrorgate.replicator.testing.MirrorPair;
import io.mirrorgate.common.cli.ExitCodes;
import io.mirrorgate.server.nbdclient.NbdClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code replicator status} (text, --json, --watch) and the metrics endpoint of a running primary. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusAndMetricsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private MirrorPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void watchFollowsAResyncToTheEndWithConsistentNeverDecreasingFigures() throws Exception {
        pair = MirrorPair.builder(dir).resyncRate("4MiB").start();
        pair.awaitInSync(Duration.ofSeconds(60));
        pair.stopStandby();
        pair.await("peer gone", Duration.ofSeconds(30), s -> !s.peerConnected());
        try (NbdClient nbd = pair.nbd()) {
            MirrorPairTest.writeRandomBlocks(nbd, pair.size(), 200, 3);
        }
        MirrorPair.CliResult away = pair.cli("status");
        assertEquals(ExitCodes.OK, away.exitCode(), away.err());
        assertTrue(away.out().startsWith("r0 role:primary state:disconnected mode:fullsync nbd:127.0.0.1:"),
                away.out());
        assertTrue(away.out().contains("  peer: 127.0.0.1:" + pair.standbyPort()), away.out());
        assertTrue(away.out().contains("disconnected ("), "the reason is shown: " + away.out());

        pair.startStandby();
        MirrorPair.CliResult watch = pair.cli("status", "r0", "--watch", "--json", "--interval", "0.1");
        assertEquals(ExitCodes.OK, watch.exitCode(), watch.err());

        List<JsonNode> samples = new ArrayList<>();
        for (String line : watch.out().split("\n")) {
            samples.add(JSON.readTree(line));
        }
        assertTrue(samples.size() >= 5, "several samples during a ~2.5 s resync: " + samples.size());
        boolean running = false;
        long lastDone = -1;
        double lastPercent = -1;
        int runningSamples = 0;
        for (JsonNode s : samples) {
            JsonNode r = s.path("resync");
            long done = r.path("bytesDone").asLong();
            long total = r.path("bytesTotal").asLong();
            double percent = r.path("percent").asDouble();
            assertTrue(done <= total, "done <= total: " + r);
            if (total > 0) {
                assertEquals(done * 100.0 / total, percent, 1e-9, "percent = done/total: " + r);
            }
            running |= r.path("state").asText().equals("running");
            if (running) {
                runningSamples++;
                assertTrue(done >= lastDone && percent >= lastPercent, "never backwards: " + r);
                lastDone = done;
                lastPercent = percent;
            }
        }
        assertTrue(runningSamples >= 3, "samples while running: " + runningSamples);
        JsonNode last = samples.get(samples.size() - 1);
        assertEquals("connected", last.path("state").asText());
        assertEquals("done", last.path("resync").path("state").asText());
        assertEquals(100.0, last.path("resync").path("percent").asDouble());
        assertEquals(0, last.path("owedBytes").asLong());
        assertEquals(pair.primarySha256(), pair.standbySha256());

        MirrorPair.CliResult text = pair.cli("status");
        assertEquals(ExitCodes.OK, text.exitCode(), text.err());
        assertTrue(text.out().contains("state:connected"), text.out());
        assertTrue(text.out().contains("100.0%"), text.out());
        assertTrue(text.out().contains("  counters: reads="), text.out());
    }

    @Test
    void metricsEndpointServesTheFiguresOfStatus() throws Exception {
        pair = MirrorPair.builder(dir).start();
        try (NbdClient nbd = pair.nbd()) {
            MirrorPairTest.writeRandomBlocks(nbd, pair.size(), 20, 4);
        }
        ResourceStatus s = pair.awaitInSync(Duration.ofSeconds(60));
        String page = pair.metrics();
        assertTrue(page.contains("# TYPE mirrorgate_resync_bytes_done gauge\n"), page);
        assertTrue(page.contains("mirrorgate_resync_bytes_done{resource=\"r0\"} " + s.resync().bytesDone() + "\n"), page);
        assertTrue(page.contains("mirrorgate_resync_bytes_goal{resource=\"r0\"} " + s.resync().bytesTotal() + "\n"), page);
        assertTrue(page.contains("mirrorgate_resync_percent{resource=\"r0\"} 100\n"), page);
        assertTrue(page.contains("mirrorgate_peer_connected{resource=\"r0\"} 1\n"), page);
        assertTrue(page.contains("mirrorgate_owed_bytes{resource=\"r0\"} 0\n"), page);
        assertTrue(page.contains("mirrorgate_state{resource=\"r0\",state=\"connected\"} 1\n"), page);
        assertTrue(page.contains("mirrorgate_state{resource=\"r0\",state=\"split-brain\"} 0\n"), page);
        assertTrue(page.contains("# TYPE mirrorgate_writes_total counter\n"), page);
        assertTrue(page.contains("mirrorgate_generation_local{resource=\"r0\"} " + s.generations().local() + "\n"), page);
        long writes = Long.parseLong(value(page, "mirrorgate_writes_total{resource=\"r0\"}"));
        assertTrue(writes >= 20, page);
        for (String line : page.split("\n")) {
            assertFalse(line.isBlank(), "no blank lines in the exposition format");
            assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ")
                    || line.matches("mirrorgate_[a-z_]+\\{resource=\"r0\"(,state=\"[a-z-]+\")?} -?[0-9.]+"), line);
        }
    }

    private static String value(String page, String series) {
        for (String line : page.split("\n")) {
            if (line.startsWith(series + " ")) {
                return line.substring(series.length() + 1);
            }
        }
        throw new AssertionError("no " + series + " in\n" + page);
    }
}
