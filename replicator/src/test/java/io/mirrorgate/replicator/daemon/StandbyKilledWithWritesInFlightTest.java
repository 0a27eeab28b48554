package io.mirrorgate.replicator.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mirrorgate.replicator.testing.ProcessMirror;
import io.mirrorgate.server.nbdclient.NbdClient;
import io.mirrorgate.server.testing.EndToEnd;
import io.mirrorgate.server.testing.ProcessGroup;
import io.mirrorgate.server.testing.Processes;
import io.mirrorgate.server.testing.TestData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes (issue 8, defect 6): 16 writes in flight on the primary, held by a standby that
 * is frozen (SIGSTOP) and then SIGKILLed; every one completes within 1 s of the kill (the peer
 * timeout of this fixture is 5 s), and their regions are owed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EndToEnd
class StandbyKilledWithWritesInFlightTest {
    private static final long MIB = 1L << 20;

    @RegisterExtension
    final ProcessGroup processes = new ProcessGroup();

    @TempDir
    Path dir;

    private ProcessMirror mirror;
    private final ExecutorService writers = Executors.newFixedThreadPool(16);

    @AfterEach
    void stop() throws InterruptedException {
        writers.shutdownNow();
        if (mirror != null) {
            mirror.close();
        }
    }

    @Test
    void everyWriteInFlightCompletesWithinASecondOfTheKillAndIsOwed() throws Exception {
        mirror = ProcessMirror.start(processes, dir, 64 * MIB, "region_size = \"1MiB\"");
        mirror.awaitInSync(Duration.ofSeconds(60));
        List<NbdClient> clients = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            clients.add(mirror.nbd());
        }
        try {
            long pid = mirror.standby().process().pid();
            Processes.run(Duration.ofSeconds(10), "kill", "-STOP", Long.toString(pid)).assertSuccess();
            List<Future<Long>> writes = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                NbdClient c = clients.get(i);
                long offset = i * 2 * MIB;
                byte[] data = TestData.randomBytes(i, 4096);
                writes.add(writers.submit(() -> {
                    c.write(offset, data, false);
                    return System.nanoTime();
                }));
            }
            Thread.sleep(500);
            assertTrue(writes.stream().noneMatch(Future::isDone), "the frozen standby holds them");

            long killed = System.nanoTime();
            mirror.standby().process().kill();
            for (Future<Long> w : writes) {
                long millis = TimeUnit.NANOSECONDS.toMillis(w.get(5, TimeUnit.SECONDS) - killed);
                assertTrue(millis < 1000, "a write completed " + millis + " ms after the kill");
            }
            for (int i = 0; i < 16; i++) {
                assertArrayEquals(TestData.randomBytes(i, 4096), clients.get(i).read(i * 2 * MIB, 4096));
            }
        } finally {
            for (NbdClient c : clients) {
                c.close();
            }
        }
        JsonNode away = mirror.awaitDisconnected(Duration.ofSeconds(10));
        assertTrue(away.path("owedRegions").asLong() >= 16, "the 16 regions are owed: " + away);
    }
}
