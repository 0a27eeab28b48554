package io.mirrorgate.client.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.testing.DelayingBlockDevice;
import io.mirrorgate.server.testing.Futures;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class RemoteBlockDeviceFailureTest {
    @TempDir
    Path stateDir;
    RemoteFixture fixture;
    MemoryBlockDevice disk;
    MemoryBlockDevice roDisk;
    DelayingBlockDevice slow;

    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @BeforeEach
    void start() throws Exception {
        disk = new MemoryBlockDevice("disk", 64 << 20, 4096, false);
        roDisk = new MemoryBlockDevice("ro", 1 << 20, 4096, false);
        slow = new DelayingBlockDevice(new MemoryBlockDevice("slow", 64 << 20, 4096, false), 2);
        fixture = new RemoteFixture(stateDir).export("/disk", disk, Access.RW)
                .export("/ro", roDisk, Access.RO).export("/slow", slow, Access.RW);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    private static MirrorgateException failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        return assertInstanceOf(MirrorgateException.class, e.getCause());
    }

    private MirrorgateException refusedConnect(RemoteDeviceOptions options) {
        return assertThrows(MirrorgateException.class, () -> fixture.connect(options));
    }

    private void assertServerStillServes() throws Exception {
        try (RemoteBlockDevice ok = fixture.connect(fixture.options("/ro").access(Access.RO).build())) {
            ok.read(0, 4096).get(10, TimeUnit.SECONDS).release();
        }
    }

    @Test
    void refusedFirstConnectionsFailAtOnceWithTheServersReason() throws Exception {
        MirrorgateException badKey = refusedConnect(RemoteDeviceOptions.builder("127.0.0.1",
                fixture.server.port(), "/disk", "not the key".getBytes()).build());
        assertEquals(ErrorCode.EACCES, badKey.code());
        assertTrue(badKey.getMessage().contains("authentication failed"), badKey.getMessage());
        assertServerStillServes();

        MirrorgateException missing = refusedConnect(fixture.options("/nope").build());
        assertEquals(ErrorCode.ENOENT, missing.code());
        assertTrue(missing.getMessage().contains("no such export: /nope"), missing.getMessage());

        MirrorgateException denied = refusedConnect(fixture.options("/denied").build());
        assertEquals(ErrorCode.EACCES, denied.code());
        assertTrue(denied.getMessage().contains("not allowed"), denied.getMessage());

        MirrorgateException rwOnRo = refusedConnect(fixture.options("/ro").access(Access.RW).build());
        assertEquals(ErrorCode.EACCES, rwOnRo.code());
        assertTrue(rwOnRo.getMessage().contains("is RO for this client"), rwOnRo.getMessage());
        assertServerStillServes();
    }

    @Test
    void nothingListeningIsConnectionRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        MirrorgateException e = assertThrows(MirrorgateException.class, () -> RemoteBlockDevice.connect(
                RemoteDeviceOptions.builder("127.0.0.1", port, "/disk", RemoteFixture.KEY).build()));
        assertEquals(ErrorCode.ECONNREFUSED, e.code());
    }

    @Test
    void aServerThatNeverAnswersTheHandshakeTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    accepted.add(silent.accept());
                } catch (java.io.IOException closed) {
                    accepted.clear();
                }
            });
            acceptor.start();
            long start = System.nanoTime();
            MirrorgateException e = assertThrows(MirrorgateException.class, () -> RemoteBlockDevice.connect(
                    RemoteDeviceOptions.builder("127.0.0.1", silent.getLocalPort(), "/disk", RemoteFixture.KEY)
                            .connectTimeout(Duration.ofMillis(500)).build()));
            assertEquals(ErrorCode.ETIMEDOUT, e.code());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            acceptor.join(5000);
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void aRequestTheServerNeverAnswersFailsWithEtimedoutAfterTheTimeout() throws Exception {
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/slow")
                .requestTimeout(Duration.ofMillis(700)).build())) {
            slow.setStalled(true);
            long start = System.nanoTime();
            MirrorgateException e = failure(remote.read(0, 4096));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(ErrorCode.ETIMEDOUT, e.code());
            assertTrue(elapsedMs >= 650 && elapsedMs < 5000, "elapsed " + elapsedMs);
            assertTrue(e.getMessage().contains("no reply within"), e.getMessage());
            slow.setStalled(false);
            remote.read(0, 4096).get(10, TimeUnit.SECONDS).release();
            // nothing at all came back for the whole timeout: the link was replaced
            assertEquals(1, remote.stats().reconnects(), remote.stats().toString());
        }
    }

    @Test
    void requestErrorsComeBackWithTheirCode() throws Exception {
        try (RemoteBlockDevice ro = fixture.connect(fixture.options("/ro").access(Access.RO).build());
                RemoteBlockDevice rw = fixture.connect(fixture.options("/disk").build())) {
            ByteBuf block = Unpooled.wrappedBuffer(new byte[4096]);
            assertEquals(ErrorCode.EROFS, failure(ro.write(0, block, false)).code());
            assertEquals(ErrorCode.EOVERFLOW, failure(rw.read(64 << 20, 4096)).code());
            assertEquals(ErrorCode.EINVAL, failure(rw.read(100, 4096)).code());
            ByteBuf tooBig = Unpooled.wrappedBuffer(new byte[rw.maxRequestSize() + 4096]);
            assertEquals(ErrorCode.EMSGSIZE, failure(rw.write(0, tooBig, false)).code());
            tooBig.release();
            block.release();
            disk.setFailing(ErrorCode.EIO);
            MirrorgateException io = failure(rw.read(0, 4096));
            assertEquals(ErrorCode.EIO, io.code());
            assertTrue(io.getMessage().contains("injected failure"), io.getMessage());
            disk.setFailing(null);
            rw.read(0, 4096).get(10, TimeUnit.SECONDS).release();
            assertEquals(0, roDisk.bytesWritten());
        }
    }

    @Test
    void aNewerEpochFencesTheOlderClient() throws Exception {
        try (RemoteBlockDevice old = fixture.connect(fixture.options("/disk").epoch(4).build())) {
            ByteBuf block = Unpooled.wrappedBuffer(TestData.randomBytes(1, 4096));
            old.write(0, block, true).get(10, TimeUnit.SECONDS);
            MirrorgateException lower = refusedConnect(fixture.options("/disk").epoch(3).build());
            assertEquals(ErrorCode.ESTALE, lower.code());
            assertTrue(lower.getMessage().contains("epoch 3 is older than 4, this client has been fenced"),
                    lower.getMessage());
            try (RemoteBlockDevice newer = fixture.connect(fixture.options("/disk").epoch(5).build())) {
                assertEquals(5, newer.highestEpoch());
                MirrorgateException fenced = failure(old.write(0, block, true));
                assertEquals(ErrorCode.ESTALE, fenced.code());
                assertTrue(fenced.getMessage().contains("epoch 4 is older than 5"), fenced.getMessage());
                newer.write(0, block, true).get(10, TimeUnit.SECONDS);
            }
            block.release();
        }
    }

    @Test
    void generationIsSetThroughTheClientAndSeenByTheNextOne() throws Exception {
        try (RemoteBlockDevice a = fixture.connect(fixture.options("/disk").epoch(1).build())) {
            assertEquals(0, a.generation());
            a.setGeneration(12345).get(10, TimeUnit.SECONDS);
            assertEquals(12345, a.generation());
        }
        try (RemoteBlockDevice b = fixture.connect(fixture.options("/disk").access(Access.RO).epoch(1).build())) {
            assertEquals(12345, b.generation());
            assertEquals(ErrorCode.EROFS, failure(b.setGeneration(1)).code());
        }
    }

    /** Writes {@code count} random blocks pipelined; returns the futures and the data by block. */
    private List<CompletableFuture<Void>> writeMany(RemoteBlockDevice remote, int count, List<ByteBuf> held) {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ByteBuf data = Unpooled.wrappedBuffer(TestData.randomBytes(1000 + i, 16384));
            held.add(data);
            futures.add(remote.write(i * 16384L, data, false));
        }
        return futures;
    }

    private void assertBlocksArrived(MemoryBlockDevice device, int count) {
        for (int i = 0; i < count; i++) {
            ByteBuf got = device.read(i * 16384L, 16384).join();
            assertArrayEquals(TestData.randomBytes(1000 + i, 16384), ByteBufUtil.getBytes(got), "block " + i);
            got.release();
        }
    }

    @Test
    void droppedConnectionsAreReestablishedAndInFlightWritesResent() throws Exception {
        List<String> transitions = new CopyOnWriteArrayList<>();
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/slow").queueDepth(32).build())) {
            remote.addStateListener((from, to, why) -> transitions.add(from + "->" + to));
            slow.setDelayMillis(10);
            List<ByteBuf> held = new ArrayList<>();
            List<CompletableFuture<Void>> futures = writeMany(remote, 400, held);
            for (int drop = 0; drop < 3; drop++) {
                int reconnected = drop;
                Futures.awaitCondition("connection " + drop + " up with writes in flight", () ->
                        remote.state() == ConnectionState.CONNECTED && remote.stats().reconnects() >= reconnected
                                && remote.stats().inFlight() > 0);
                fixture.server.dropConnections();
            }
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            held.forEach(ByteBuf::release);
            RemoteDeviceStats stats = remote.stats();
            assertTrue(stats.reconnects() >= 1, stats.toString());
            assertTrue(stats.resent() >= 1, stats.toString());
            assertEquals(0, stats.failures(), stats.toString());
            assertEquals(ConnectionState.CONNECTED, remote.state());
            assertTrue(transitions.contains("CONNECTED->RECONNECTING"), transitions.toString());
            assertTrue(transitions.contains("RECONNECTING->CONNECTED"), transitions.toString());
        }
        slow.setDelayMillis(0);
        assertBlocksArrivedThroughServer(400);
    }

    private void assertBlocksArrivedThroughServer(int count) throws Exception {
        try (RemoteBlockDevice check = fixture.connect(fixture.options("/slow").access(Access.RO).build())) {
            for (int i = 0; i < count; i++) {
                ByteBuf got = check.read(i * 16384L, 16384).get(10, TimeUnit.SECONDS);
                assertArrayEquals(TestData.randomBytes(1000 + i, 16384), ByteBufUtil.getBytes(got), "block " + i);
                got.release();
            }
        }
    }

    @Test
    void writesWaitThroughAServerRestartOnTheSamePort() throws Exception {
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/disk").build())) {
            fixture.server.stop();
            List<ByteBuf> held = new ArrayList<>();
            List<CompletableFuture<Void>> futures = writeMany(remote, 50, held);
            Futures.awaitCondition("the device noticed the server is gone",
                    () -> remote.state() == ConnectionState.RECONNECTING);
            assertTrue(futures.stream().noneMatch(CompletableFuture::isDone), "writes wait for the server");
            assertEquals(0, disk.bytesWritten());
            fixture.server.restart();
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            held.forEach(ByteBuf::release);
            assertBlocksArrived(disk, 50);
            assertTrue(remote.stats().reconnects() >= 1);
        }
    }

    @Test
    void reconnectNowReplacesTheConnection() throws Exception {
        try (RemoteBlockDevice remote = fixture.connect(fixture.options("/disk").build())) {
            remote.reconnectNow().get(10, TimeUnit.SECONDS);
            assertEquals(ConnectionState.CONNECTED, remote.state());
            assertEquals(1, remote.stats().reconnects());
            remote.read(0, 4096).get(10, TimeUnit.SECONDS).release();
        }
    }

    @Test
    void closingFailsWaitingRequestsAndLaterOnes() throws Exception {
        RemoteBlockDevice remote = fixture.connect(fixture.options("/slow").build());
        slow.setStalled(true);
        CompletableFuture<ByteBuf> waiting = remote.read(0, 4096);
        remote.close();
        remote.close();
        assertEquals(ErrorCode.ESHUTDOWN, failure(waiting).code());
        assertEquals(ErrorCode.ESHUTDOWN, failure(remote.read(0, 4096)).code());
        assertEquals(ConnectionState.CLOSED, remote.state());
        slow.setStalled(false);
    }
}
