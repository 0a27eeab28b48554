package io.mirrorgate.replicator.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.replicator.generation.Generations;
import io.mirrorgate.replicator.mirror.MirrorDevice;
import io.mirrorgate.replicator.mirror.ReplicationMode;
import io.mirrorgate.replicator.testing.Fixtures;
import io.mirrorgate.replicator.testing.MemoryDirtyRegions;
import io.mirrorgate.replicator.testing.MemoryGenerationStore;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.testing.DelayingBlockDevice;
import io.mirrorgate.server.testing.GgateTestServer;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standby dies with writes in flight: each completes locally within a second of the loss,
 * its region owed, instead of waiting for the peer's request timeout (issue 8, defect 6).
 */
@Timeout(60)
class StandbyLossTest {
    private static final long SIZE = 4L << 20;
    private static final long REGION = 64 * 1024;
    private static final byte[] KEY = TestData.randomBytes(7, 32);

    @TempDir
    Path dir;
    private final ExecutorService metadata = Executors.newSingleThreadExecutor();
    private final DelayingBlockDevice standby =
            new DelayingBlockDevice(new MemoryBlockDevice("standby", SIZE, 512, false), 0);
    private GgateTestServer server;
    private RemotePeerLink link;

    @AfterEach
    void stop() throws Exception {
        if (link != null) {
            link.close();
        }
        if (server != null) {
            server.close();
        }
        standby.close();
        metadata.shutdownNow();
    }

    @Test
    void writesInFlightWhenTheStandbyDiesCompleteWithinASecondAndAreOwed() throws Exception {
        ExportResolver resolver = new ExportResolver() {
            @Override
            public Export resolve(String name, InetAddress client) {
                return new Export(name, standby, Access.RW);
            }

            @Override
            public List<String> list(InetAddress client) {
                return List.of("standby");
            }
        };
        server = GgateTestServer.start(GgateServerConfig.of(resolver, KEY, dir.resolve("state")));
        RemoteDeviceOptions options = RemoteDeviceOptions.builder("127.0.0.1", server.port(),
                        "standby", KEY)
                .nodeId("alpha").requestTimeout(Duration.ofSeconds(10))
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(500))
                .resendOnReconnect(false).build();
        link = new RemotePeerLink("r0", options, RemotePeerLink.Backoff.defaults());
        link.start();
        Fixtures.await("connected", Duration.ofSeconds(10), link::isConnected);
        MemoryDirtyRegions dirty = new MemoryDirtyRegions(SIZE, REGION);
        MirrorDevice mirror = new MirrorDevice(new MemoryBlockDevice("local", SIZE, 512, false), link,
                dirty, new MemoryGenerationStore(new Generations(5, 5, 5)), ReplicationMode.FULLSYNC,
                1 << 20, metadata);
        mirror.attachPeer(false);

        standby.setStalled(true);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            writes.add(mirror.write(i * REGION, Unpooled.wrappedBuffer(TestData.randomBytes(i, 4096)), true));
        }
        Thread.sleep(200);
        assertTrue(writes.stream().noneMatch(CompletableFuture::isDone), "the standby holds them");

        long killed = System.nanoTime();
        server.stop(); // what the kernel does to the connection of a SIGKILLed standby
        CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0])).get(1, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertTrue(millis < 1000, "completed " + millis + " ms after the loss");
        assertFalse(mirror.isPeerAttached());
        for (int i = 0; i < 16; i++) {
            assertTrue(dirty.isOwed(i), "region " + i + " owed");
        }
        assertEquals(16, mirror.counters().peerWriteFailures());
    }
}
