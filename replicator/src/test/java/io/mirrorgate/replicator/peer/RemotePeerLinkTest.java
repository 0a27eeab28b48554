package io.mirrorgate.replicator.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.client.remote.RemoteDeviceOptions;
import io.mirrorgate.client.remote.RemoteRefusedException;
import io.mirrorgate.replicator.mirror.PeerLink;
import io.mirrorgate.replicator.testing.Fixtures;
import io.mirrorgate.server.daemon.GgateDaemon;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.testing.TestData;
import io.mirrorgate.common.net.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The peer link against a real ggate-server: late start, refusal, replacement, request splitting. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemotePeerLinkTest {
    private static final RemotePeerLink.Backoff FAST =
            new RemotePeerLink.Backoff(Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofMillis(300));

    @TempDir
    Path dir;

    private GgateDaemon server;
    private RemotePeerLink link;

    @AfterEach
    void stop() {
        if (link != null) {
            link.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private GgateDaemon serve(Path key, int port, int maxRequest) throws Exception {
        Path image = dir.resolve("standby.img");
        if (!Files.exists(image)) {
            TestData.sparseFile(image, 4 << 20);
        }
        Path exports = dir.resolve("exports");
        Files.writeString(exports, "127.0.0.1 RW " + image + "\n");
        return GgateDaemon.start(new GgateDaemon.Settings(exports, new HostPort("127.0.0.1", port), null, key,
                dir.resolve("state"), LocalDeviceOptions.defaults(), maxRequest));
    }

    private RemotePeerLink link(Path key, int port) throws Exception {
        RemoteDeviceOptions options = RemoteDeviceOptions.builder("127.0.0.1", port,
                dir.resolve("standby.img").toString(), Files.readAllBytes(key)).nodeId("alpha")
                .requestTimeout(Duration.ofSeconds(5)).reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .build();
        return new RemotePeerLink("r0", options, FAST);
    }

    private static Path key(Path file, long seed) throws Exception {
        Files.write(file, TestData.randomBytes(seed, 32));
        return file;
    }

    @Test
    void connectsInTheBackgroundWhenThePeerComesUpLateAndFailsFastUntilThen() throws Exception {
        Path key = key(dir.resolve("key"), 1);
        server = serve(key, 0, 1 << 20);
        int port = server.ggateAddress().getPort();
        server.close();
        server = null;

        link = link(key, port);
        AtomicInteger connected = new AtomicInteger();
        AtomicInteger disconnected = new AtomicInteger();
        link.addListener(new PeerLink.Listener() {
            @Override
            public void connected() {
                connected.incrementAndGet();
            }

            @Override
            public void disconnected() {
                disconnected.incrementAndGet();
            }
        });
        link.start();
        Fixtures.await("failed attempts", Duration.ofSeconds(10), () -> link.failedAttempts() >= 2);
        assertFalse(link.isConnected());
        ExecutionException away = assertThrows(ExecutionException.class,
                () -> link.device().flush().get(1, TimeUnit.SECONDS));
        assertEquals(ErrorCode.ECONNREFUSED, MirrorgateException.codeOf(away.getCause()));

        server = serve(key, port, 1 << 20);
        Fixtures.await("connected", Duration.ofSeconds(10), link::isConnected);
        assertEquals(1, connected.get());
        assertEquals(4 << 20, link.device().size());

        server.close();
        server = null;
        Fixtures.await("disconnected", Duration.ofSeconds(10), () -> disconnected.get() == 1);
        assertFalse(link.isConnected());
        server = serve(key, port, 1 << 20);
        Fixtures.await("reconnected", Duration.ofSeconds(10), () -> connected.get() == 2);
        assertTrue(link.isConnected());
    }

    @Test
    void aRefusedHandshakeIsRetriedAndSucceedsOnceTheKeyMatches() throws Exception {
        Path serverKey = key(dir.resolve("server.key"), 1);
        Path clientKey = key(dir.resolve("client.key"), 2);
        server = serve(serverKey, 0, 1 << 20);
        int port = server.ggateAddress().getPort();
        link = link(clientKey, port);
        link.start();
        Fixtures.await("refusals", Duration.ofSeconds(10), () -> link.failedAttempts() >= 2);
        assertFalse(link.isConnected());
        assertTrue(link.lastError() != null && !link.lastError().isEmpty(), "reason kept: " + link.lastError());

        server.close();
        server = serve(clientKey, port, 1 << 20);
        Fixtures.await("connected with the right key", Duration.ofSeconds(10), link::isConnected);
    }

    @Test
    void requestsLargerThanTheServersLimitAreSplit() throws Exception {
        Path key = key(dir.resolve("key"), 1);
        server = serve(key, 0, 64 << 10);
        link = link(key, server.ggateAddress().getPort());
        link.start();
        Fixtures.await("connected", Duration.ofSeconds(10), link::isConnected);
        byte[] data = TestData.randomBytes(5, 1 << 20);
        Fixtures.writeRandom(link.device(), 512 << 10, 1 << 20, 5);
        link.device().flush().get(10, TimeUnit.SECONDS);
        assertArrayEquals(data, Fixtures.read(link.device(), 512 << 10, 1 << 20));
        assertEquals(TestData.sha256(data), TestData.sha256(dir.resolve("standby.img"), 512 << 10, 1 << 20));
    }

    @Test
    void aDeviceClosedForGoodByARefusedReconnectIsReplacedByANewOne() throws Exception {
        Path key = key(dir.resolve("key"), 1);
        Path otherKey = key(dir.resolve("other.key"), 2);
        server = serve(key, 0, 1 << 20);
        int port = server.ggateAddress().getPort();
        link = link(key, port);
        link.start();
        Fixtures.await("connected", Duration.ofSeconds(10), link::isConnected);

        server.close();
        server = serve(otherKey, port, 1 << 20);
        Fixtures.await("the reconnect refused for good", Duration.ofSeconds(10),
                () -> link.current() == null && link.lastError() != null);
        assertFalse(link.isConnected());
        Fixtures.await("new devices refused as well", Duration.ofSeconds(10), () -> link.failedAttempts() >= 1);

        server.close();
        server = serve(key, port, 1 << 20);
        Fixtures.await("connected with a new device", Duration.ofSeconds(10), link::isConnected);
        assertEquals(2, link.connects());
        Fixtures.writeRandom(link.device(), 0, 65536, 9);
    }

    @Test
    void aRefusalIsToldByTheErrorsTypeNotItsText() {
        assertTrue(RemotePeerLink.refusedForGood(new RemoteRefusedException(ErrorCode.ESTALE, "epoch 3 < 4")));
        assertTrue(RemotePeerLink.refusedForGood(new RemoteRefusedException(ErrorCode.EACCES, "bad key")));
        assertFalse(RemotePeerLink.refusedForGood(new MirrorgateException(ErrorCode.ECONNREFUSED,
                "connection refused")));
        assertFalse(RemotePeerLink.refusedForGood(new MirrorgateException(ErrorCode.ESHUTDOWN,
                "closed (the peer was fenced)")));
        assertFalse(RemotePeerLink.refusedForGood(null));
    }

    /** The time from a standby listening again until the link with the daemon's backoff connects. */
    private long millisToNotice(Path key, int port) throws Exception {
        server = serve(key, port, 1 << 20);
        long start = System.nanoTime();
        Fixtures.await("connected", Duration.ofSeconds(10), link::isConnected);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void aStandbyListeningAgainIsNoticedWithinOneSecondWithTheDaemonsBackoff() throws Exception {
        Path key = key(dir.resolve("key"), 1);
        server = serve(key, 0, 1 << 20);
        int port = server.ggateAddress().getPort();
        server.close();
        server = null;
        RemoteDeviceOptions options = RemoteDeviceOptions.builder("127.0.0.1", port,
                dir.resolve("standby.img").toString(), Files.readAllBytes(key)).nodeId("alpha")
                .requestTimeout(Duration.ofSeconds(5)).reconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(500))
                .build(); // the reconnect backoff of RemotePeerLink.options, as the daemon runs it
        link = new RemotePeerLink("r0", options, RemotePeerLink.Backoff.defaults());
        link.start();
        Thread.sleep(3000); // refused for a while: any backoff has grown to its maximum
        long first = millisToNotice(key, port);
        assertTrue(first < 1000, "standby noticed after " + first + " ms (never connected before)");

        server.close();
        server = null;
        Fixtures.await("disconnected", Duration.ofSeconds(10), () -> !link.isConnected());
        Thread.sleep(3000);
        long again = millisToNotice(key, port);
        assertTrue(again < 1000, "standby noticed after " + again + " ms (it was connected before)");
    }
}
