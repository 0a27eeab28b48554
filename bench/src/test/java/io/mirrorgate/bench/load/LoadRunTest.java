package io.mirrorgate.bench.load;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.testing.TestData;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.common.net.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load test, bounded (bench/load-test.sh is the full one: 1,000 + 200 clients for 60 s
 * against a ggate-server process, its memory sampled): 40 well-behaved and 20 hostile clients
 * for 6 s against an in-process server; every good request is answered correctly and the server
 * serves afterwards.
 */
@Timeout(120)
class LoadRunTest {
    @TempDir
    Path dir;
    private GgateDaemon server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void wellBehavedClientsAreServedCorrectlyNextToHostileOnes() throws Exception {
        Path image = dir.resolve("disk.img");
        TestData.sparseFile(image, 64 << 20);
        Path exports = Files.writeString(dir.resolve("exports"), "127.0.0.1 RW " + image + " disk\n");
        Path key = Files.write(dir.resolve("key"), TestData.randomBytes(1, 32));
        ConnectionLimits limits = ConnectionLimits.defaults().withFrameTimeout(Duration.ofSeconds(2))
                .withIdleTimeout(Duration.ofSeconds(3)).withDrainTimeout(Duration.ofSeconds(5));
        server = GgateDaemon.start(new GgateDaemon.Settings(exports, new HostPort("127.0.0.1", 0),
                new HostPort("127.0.0.1", 0), key, dir.resolve("state"), LocalDeviceOptions.defaults(),
                32 << 20, limits, ServerTls.off()));
        LoadRun.Result r = LoadRun.run("127.0.0.1", server.nbdAddress().getPort(),
                server.ggateAddress().getPort(), "disk", 40, 20, 6, -1);
        System.out.println("load (bounded): " + r);
        assertTrue(r.passed(Long.MAX_VALUE), r.toString());
        assertTrue(r.requests() > 40, r.toString());
        assertTrue(r.hostileClosed() > 0, "hostile connections are closed: " + r);
    }
}
