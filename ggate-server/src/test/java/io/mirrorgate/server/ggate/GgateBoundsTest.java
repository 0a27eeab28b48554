package io.mirrorgate.server.ggate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.protocol.Reply;
import io.mirrorgate.server.protocol.Request;
import io.mirrorgate.server.testing.ForwardingDevice;
import io.mirrorgate.server.testing.GgateTestServer;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.RawGgateSocket;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ggate: nothing but handshake frames before authentication, no READ flood without reading the
 * replies, partial frames time out (issue 8, defect 3), and a shutdown waits for the last reply
 * to a slow reader (defect 2).
 */
@Timeout(60)
class GgateBoundsTest {
    private static final byte[] KEY = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    private static final int BIG = 16 << 20;

    @TempDir
    Path dir;
    private final AtomicInteger reads = new AtomicInteger();
    private final MemoryBlockDevice memory = new MemoryBlockDevice("vol", 32 << 20, 512, false);
    private GgateTestServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private void start(ConnectionLimits limits) throws Exception {
        ForwardingDevice counting = new ForwardingDevice(memory) {
            @Override
            public CompletableFuture<ByteBuf> read(long offset, int length) {
                reads.incrementAndGet();
                return super.read(offset, length);
            }
        };
        ExportResolver resolver = new ExportResolver() {
            @Override
            public Export resolve(String name, InetAddress client) {
                return new Export(name, counting, Access.RW);
            }

            @Override
            public List<String> list(InetAddress client) {
                return List.of("vol");
            }
        };
        server = GgateTestServer.start(GgateServerConfig.of(resolver, KEY, dir).withLimits(limits));
    }

    private RawGgateSocket admitted() throws Exception {
        RawGgateSocket s = new RawGgateSocket(server.port());
        assertEquals(ErrorCode.OK, s.handshake(KEY, "vol", Access.RW, 0).error());
        return s;
    }

    @Test
    void aRequestFrameBeforeTheHandshakeIsRefusedAtItsHeader() throws Exception {
        start(ConnectionLimits.defaults());
        try (RawGgateSocket s = new RawGgateSocket(server.port())) {
            ByteBuffer header = ByteBuffer.allocate(GgateProtocol.HEADER_LENGTH + 65536);
            header.putInt(GgateProtocol.MAGIC).put((byte) GgateProtocol.TYPE_REQUEST).put((byte) 0)
                    .putShort((short) 0).putInt(32 << 20);
            s.sendRaw(header.array());
            long start = System.nanoTime();
            assertTrue(s.closedByServer(), "closed at the header, not after 32 MiB");
            assertTrue(System.nanoTime() - start < 5_000_000_000L);
        }
    }

    @Test
    void aReadFloodWhoseRepliesAreNotReadStopsBeingRead() throws Exception {
        start(ConnectionLimits.defaults());
        int requests = 4000; // 4000 x 256 KiB = 1 GiB of replies
        try (RawGgateSocket s = admitted()) {
            CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        s.send(Request.read(i, 0, 256 << 10));
                    }
                } catch (Exception closed) {
                    // closed at the end of the test
                }
            });
            int seen = -1;
            for (int i = 0; i < 30 && seen != reads.get(); i++) {
                seen = reads.get();
                Thread.sleep(1000);
            }
            assertTrue(seen < 400, seen + " reads of 256 KiB served although no reply was read");
            s.close();
            flood.handle((v, e) -> null).get();
        }
    }

    @Test
    void aPartialRequestFrameTimesOut() throws Exception {
        start(ConnectionLimits.defaults().withFrameTimeout(Duration.ofMillis(500)));
        try (RawGgateSocket s = admitted()) {
            byte[] frame = s.encode(Request.write(1, 0, Unpooled.wrappedBuffer(new byte[1 << 20]), false));
            s.sendRaw(Arrays.copyOf(frame, frame.length - 4096));
            assertTrue(s.closedByServer());
        }
    }

    @Test
    void aShutdownWaitsForTheLastReplyToASlowReader() throws Exception {
        start(ConnectionLimits.defaults());
        byte[] data = TestData.randomBytes(3, BIG);
        memory.write(0, Unpooled.wrappedBuffer(data), false).get();
        try (RawGgateSocket s = admitted()) {
            s.send(Request.read(1, 0, BIG));
            Thread.sleep(300);
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> {
                try {
                    server.shutdownGracefully();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread.sleep(300);
            Reply reply = (Reply) s.receive();
            assertEquals(ErrorCode.OK, reply.error(), reply.reason());
            assertArrayEquals(data, ByteBufUtil.getBytes(reply.payload()));
            reply.release();
            shutdown.get();
        }
    }
}
