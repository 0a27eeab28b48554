package io.mirrorgate.server.ggate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.protocol.Reply;
import io.mirrorgate.server.protocol.Request;
import io.mirrorgate.server.protocol.Welcome;
import io.mirrorgate.server.testing.DelayingBlockDevice;
import io.mirrorgate.server.testing.Futures;
import io.mirrorgate.server.testing.GgateTestServer;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.RawGgateSocket;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class GgateServerTest {
    static final byte[] KEY = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    static final int MAX = 1 << 20;

    @TempDir
    Path stateDir;
    MemoryBlockDevice rw;
    MemoryBlockDevice ro;
    DelayingBlockDevice slow;
    GgateTestServer server;

    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @BeforeEach
    void start() throws Exception {
        rw = new MemoryBlockDevice("rw", 16 << 20, 512, false);
        ro = new MemoryBlockDevice("ro", 1 << 20, 512, false);
        slow = new DelayingBlockDevice(new MemoryBlockDevice("slow", 1 << 20, 512, false), 0);
        ExportResolver resolver = new ExportResolver() {
            @Override
            public Export resolve(String name, InetAddress client) {
                switch (name) {
                    case "/exports/rw": return new Export(name, rw, Access.RW);
                    case "/exports/ro": return new Export(name, ro, Access.RO);
                    case "/exports/slow": return new Export(name, slow, Access.RW);
                    case "/exports/denied":
                        throw new MirrorgateException(ErrorCode.EACCES,
                                "host " + client.getHostAddress() + " is not allowed to use " + name);
                    default:
                        throw new MirrorgateException(ErrorCode.ENOENT, "no such export: " + name);
                }
            }

            @Override
            public List<String> list(InetAddress client) {
                return List.of("/exports/rw", "/exports/ro");
            }
        };
        server = GgateTestServer.start(GgateServerConfig.of(resolver, KEY, stateDir)
                .withMaxRequestSize(MAX));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        slow.close();
    }

    private RawGgateSocket admitted(String export, Access access, long epoch) throws Exception {
        RawGgateSocket s = new RawGgateSocket(server.port());
        Welcome w = s.handshake(KEY, export, access, epoch);
        assertEquals(ErrorCode.OK, w.error(), w.reason());
        return s;
    }

    private Reply call(RawGgateSocket s, Request r) throws Exception {
        s.send(r);
        return (Reply) s.receive();
    }

    private void assertStillServing() throws Exception {
        try (RawGgateSocket s = admitted("/exports/ro", Access.RO, 0)) {
            Reply reply = call(s, Request.read(99, 0, 512));
            assertEquals(ErrorCode.OK, reply.error());
            reply.release();
        }
    }

    private void assertRefused(String export, Access access, byte[] key, long epoch, ErrorCode code,
            String reason) throws Exception {
        try (RawGgateSocket s = new RawGgateSocket(server.port())) {
            Welcome w = s.handshake(key, export, access, epoch);
            assertEquals(code, w.error(), w.reason());
            assertEquals(reason, w.reason());
            assertEquals(0, w.size());
            assertTrue(s.closedByServer());
        }
        assertStillServing();
    }

    @Test
    void handshakeAnnouncesTheExportFigures() throws Exception {
        try (RawGgateSocket s = new RawGgateSocket(server.port())) {
            Welcome w = s.handshake(KEY, "/exports/rw", Access.RW, 4);
            assertEquals(ErrorCode.OK, w.error());
            assertEquals(16 << 20, w.size());
            assertEquals(512, w.blockSize());
            assertEquals(MAX, w.maxRequestSize());
            assertEquals(4, w.highestEpoch());
        }
    }

    @Test
    void refusalsCarryTheirErrorAndReasonAndTheServerKeepsServing() throws Exception {
        assertRefused("/exports/rw", Access.RW, "wrong key".getBytes(), 0, ErrorCode.EACCES,
                "authentication failed: the client's key does not match the server's key");
        assertRefused("/exports/nope", Access.RW, KEY, 0, ErrorCode.ENOENT, "no such export: /exports/nope");
        assertRefused("/exports/denied", Access.RO, KEY, 0, ErrorCode.EACCES,
                "host 127.0.0.1 is not allowed to use /exports/denied");
        assertRefused("/exports/ro", Access.RW, KEY, 0, ErrorCode.EACCES,
                "export /exports/ro is RO for this client, RW was requested");
    }

    @Test
    void badKeyDoesNotRevealWhetherTheExportExists() throws Exception {
        assertRefused("/exports/nope", Access.RW, "wrong".getBytes(), 0, ErrorCode.EACCES,
                "authentication failed: the client's key does not match the server's key");
    }

    @Test
    void accessIsCheckedPerCommand() throws Exception {
        try (RawGgateSocket s = admitted("/exports/ro", Access.RO, 0)) {
            Reply r = call(s, Request.write(1, 0, Unpooled.wrappedBuffer(new byte[512]), false));
            assertEquals(ErrorCode.EROFS, r.error());
            assertEquals(ErrorCode.EROFS, call(s, Request.trim(2, 0, 512)).error());
            Reply read = call(s, Request.read(3, 0, 512));
            assertEquals(ErrorCode.OK, read.error());
            read.release();
        }
        try (RawGgateSocket s = admitted("/exports/rw", Access.WO, 0)) {
            assertEquals(ErrorCode.EPERM, call(s, Request.read(1, 0, 512)).error());
            assertEquals(ErrorCode.OK, call(s, Request.write(2, 0,
                    Unpooled.wrappedBuffer(new byte[512]), true)).error());
        }
        assertEquals(0, ro.bytesWritten());
    }

    @Test
    void badRequestsGetErrorRepliesOnTheSameConnection() throws Exception {
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 0)) {
            Reply past = call(s, Request.read(1, 16 << 20, 512));
            assertEquals(ErrorCode.EOVERFLOW, past.error());
            assertTrue(past.reason().contains("past the end"), past.reason());
            Reply big = call(s, Request.read(2, 0, MAX + 512));
            assertEquals(ErrorCode.EMSGSIZE, big.error());
            assertEquals("length: " + (MAX + 512) + " (expected: <= " + MAX + ")", big.reason());
            assertEquals(ErrorCode.EINVAL, call(s, Request.read(3, 100, 512)).error());
            assertEquals(ErrorCode.EINVAL, call(s, new Request(42, 0, 4, 0, 0, 0, null)).error());
            Reply ok = call(s, Request.read(5, 0, 512));
            assertEquals(ErrorCode.OK, ok.error());
            ok.release();
        }
    }

    @Test
    void corruptedCrcIsRefusedAndNothingIsWritten() throws Exception {
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 0)) {
            byte[] frame = s.encode(Request.write(7, 4096, Unpooled.wrappedBuffer(
                    TestData.randomBytes(1, 4096)), false));
            frame[frame.length - 10] ^= 0x40;
            s.sendRaw(frame);
            Reply r = (Reply) s.receive();
            assertEquals(7, r.sequence());
            assertEquals(ErrorCode.EBADMSG, r.error());
            assertTrue(r.reason().contains("nothing was written"), r.reason());
            assertEquals(0, rw.bytesWritten());
        }
        assertStillServing();
    }

    @Test
    void oversizedGarbageAndTruncatedFramesCloseOnlyThatConnection() throws Exception {
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 0)) {
            s.sendRaw(Unpooled.buffer().writeInt(GgateProtocol.MAGIC).writeByte(GgateProtocol.TYPE_REQUEST)
                    .writeByte(0).writeShort(0).writeInt(70_000_000).array());
            assertTrue(s.closedByServer());
        }
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 0)) {
            s.sendRaw(TestData.randomBytes(3, 1000));
            assertTrue(s.closedByServer());
        }
        try (RawGgateSocket s = new RawGgateSocket(server.port())) {
            s.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(s.closedByServer());
        }
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 0)) {
            byte[] frame = s.encode(Request.write(1, 0, Unpooled.wrappedBuffer(new byte[4096]), false));
            s.sendRaw(java.util.Arrays.copyOf(frame, 1000));
        }
        assertStillServing();
        assertEquals(0, rw.bytesWritten());
    }

    @Test
    void pipelinedRequestsEachGetOneReply() throws Exception {
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 0)) {
            int n = 200;
            for (int i = 0; i < n; i++) {
                s.send(Request.write(i, i * 4096L, Unpooled.wrappedBuffer(TestData.randomBytes(i, 4096)), false));
            }
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < n; i++) {
                Reply r = (Reply) s.receive();
                assertEquals(ErrorCode.OK, r.error(), r.reason());
                assertTrue(seen.add(r.sequence()));
            }
            for (int i = 0; i < n; i += 37) {
                Reply r = call(s, Request.read(1000 + i, i * 4096L, 4096));
                assertTrue(r.crcMatches());
                assertArrayEquals(TestData.randomBytes(i, 4096), ByteBufUtil.getBytes(r.payload()));
                r.release();
            }
        }
    }

    @Test
    void lowerEpochIsFencedAndAnOlderConnectedClientGetsEstaleOnWrite() throws Exception {
        try (RawGgateSocket old = admitted("/exports/rw", Access.RW, 5)) {
            assertEquals(ErrorCode.OK, call(old, Request.write(1, 0,
                    Unpooled.wrappedBuffer(new byte[512]), false)).error());
            assertRefused("/exports/rw", Access.RW, KEY, 3, ErrorCode.ESTALE,
                    "epoch 3 is older than 5, this client has been fenced");
            try (RawGgateSocket newer = admitted("/exports/rw", Access.RW, 6)) {
                Reply fenced = call(old, Request.write(2, 0, Unpooled.wrappedBuffer(new byte[512]), false));
                assertEquals(ErrorCode.ESTALE, fenced.error());
                assertEquals("epoch 5 is older than 6, this client has been fenced", fenced.reason());
                Reply read = call(old, Request.read(3, 0, 512));
                assertEquals(ErrorCode.OK, read.error());
                read.release();
                assertEquals(ErrorCode.OK, call(newer, Request.write(1, 0,
                        Unpooled.wrappedBuffer(new byte[512]), false)).error());
            }
        }
        try (ExportStateStore reopened = new ExportStateStore(stateDir)) {
            assertEquals(6, reopened.load(rw.identity()).highestEpoch());
        }
    }

    @Test
    void generationIsPersistedAndAnnouncedToLaterClients() throws Exception {
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 2)) {
            assertEquals(ErrorCode.OK, call(s, Request.setGeneration(1, 41, Unpooled.buffer().alloc())).error());
        }
        try (RawGgateSocket s = new RawGgateSocket(server.port())) {
            Welcome w = s.handshake(KEY, "/exports/rw", Access.RO, 2);
            assertEquals(41, w.generation());
            assertEquals(ErrorCode.EROFS, call(s, Request.setGeneration(2, 42, Unpooled.buffer().alloc())).error());
        }
        try (ExportStateStore reopened = new ExportStateStore(stateDir)) {
            assertEquals(41, reopened.load(rw.identity()).generation());
        }
    }

    @Test
    void gracefulShutdownRepliesToEverythingInFlightThenCloses() throws Exception {
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 0)) {
            int n = 50;
            for (int i = 0; i < n; i++) {
                s.send(Request.write(i, i * 8192L, Unpooled.wrappedBuffer(new byte[8192]), true));
            }
            Reply first = (Reply) s.receive();
            assertEquals(ErrorCode.OK, first.error(), first.reason());
            server.initializer().shutdownGracefully();
            // every request the server read is answered, then it ends the stream cleanly (FIN)
            Set<Long> seen = new HashSet<>(Set.of(first.sequence()));
            while (true) {
                Reply r;
                try {
                    r = (Reply) s.receive();
                } catch (java.io.IOException endOfStream) {
                    assertEquals("connection closed by the server", endOfStream.getMessage());
                    break;
                }
                assertEquals(ErrorCode.OK, r.error(), r.reason());
                assertTrue(seen.add(r.sequence()));
            }
            assertTrue(seen.size() >= 1 && seen.size() <= n);
            assertEquals(seen.size() * 8192L, rw.bytesWritten());
        }
    }

    @Test
    void aReconnectingSessionIsAdmittedOnlyAfterItsOldWritesFinished() throws Exception {
        try (RawGgateSocket old = new RawGgateSocket(server.port());
                RawGgateSocket again = new RawGgateSocket(server.port())) {
            assertEquals(ErrorCode.OK, old.handshake(KEY, "/exports/slow", Access.RW, 0, 77).error());
            slow.setStalled(true);
            old.send(Request.write(1, 0, Unpooled.wrappedBuffer(TestData.randomBytes(1, 512)), false));
            Futures.awaitCondition("the old write held by the device", () -> slow.stalledCount() == 1);
            java.util.concurrent.CompletableFuture<Welcome> welcome = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return again.handshake(KEY, "/exports/slow", Access.RW, 0, 77);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            assertTrue(old.closedByServer(), "the superseded connection is closed");
            Futures.assertStaysPending("admitted while the old write was still in flight", welcome,
                    java.time.Duration.ofMillis(300));
            slow.setStalled(false);
            assertEquals(ErrorCode.OK, welcome.get(10, java.util.concurrent.TimeUnit.SECONDS).error());
        }
    }

    @Test
    void disconnectIsAnsweredThenTheServerCloses() throws Exception {
        try (RawGgateSocket s = admitted("/exports/rw", Access.RW, 0)) {
            assertEquals(ErrorCode.OK, call(s, Request.disconnect(9)).error());
            assertTrue(s.closedByServer());
        }
    }
}
