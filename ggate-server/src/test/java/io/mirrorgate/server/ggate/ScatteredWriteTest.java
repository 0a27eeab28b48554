package io.mirrorgate.server.ggate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.device.Scatter;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.protocol.Command;
import io.mirrorgate.server.protocol.Payloads;
import io.mirrorgate.server.protocol.Reply;
import io.mirrorgate.server.protocol.Request;
import io.mirrorgate.server.protocol.ScatterPayload;
import io.mirrorgate.server.protocol.Welcome;
import io.mirrorgate.server.testing.GgateTestServer;
import io.mirrorgate.server.testing.MemoryBlockDevice;
import io.mirrorgate.server.testing.RawGgateSocket;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * WRITE_SCATTERED on the wire (the client side, FEATURE_SCATTER: RemoteBlockDeviceScatterTest):
 * every range lands where its table says; a table that breaks the rules, or ranges the device cannot take, get an error reply,
 * write nothing, and the connection goes on.
 */
@Timeout(60)
class ScatteredWriteTest {
    private static final byte[] KEY = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    private static final long SIZE = 8 << 20;

    @TempDir
    Path dir;
    private final MemoryBlockDevice memory = new MemoryBlockDevice("vol", SIZE, 512, false);
    private GgateTestServer server;
    private RawGgateSocket socket;
    private long sequence;

    @BeforeEach
    void start() throws Exception {
        ExportResolver resolver = new ExportResolver() {
            @Override
            public Export resolve(String name, InetAddress client) {
                return new Export(name, memory, Access.RW);
            }

            @Override
            public List<String> list(InetAddress client) {
                return List.of("vol");
            }
        };
        server = GgateTestServer.start(GgateServerConfig.of(resolver, KEY, dir));
        socket = new RawGgateSocket(server.port());
        Welcome welcome = socket.handshake(KEY, "vol", Access.RW, 0);
        assertEquals(ErrorCode.OK, welcome.error(), welcome.reason());
    }

    @AfterEach
    void stop() throws Exception {
        if (socket != null) {
            socket.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Sends a WRITE_SCATTERED with {@code payload} (its CRC computed) and returns the reply. */
    private Reply send(ByteBuf payload) throws Exception {
        socket.send(new Request(Command.WRITE_SCATTERED.code(), 0, ++sequence, 0,
                payload.readableBytes(), Payloads.crc32c(payload), payload));
        Reply reply = (Reply) socket.receive();
        assertEquals(sequence, reply.sequence());
        return reply;
    }

    /** A payload: {@code table} writes its own table bytes, then {@code dataBytes} of data. */
    private static ByteBuf payload(Consumer<ByteBuf> table, int dataBytes, long seed) {
        ByteBuf out = Unpooled.buffer();
        table.accept(out);
        return out.writeBytes(TestData.randomBytes(seed, dataBytes));
    }

    private byte[] deviceBytes(long offset, int length) throws Exception {
        ByteBuf data = memory.read(offset, length).get();
        try {
            return ByteBufUtil.getBytes(data);
        } finally {
            data.release();
        }
    }

    @Test
    void everyRangeLandsWhereItsTableSays() throws Exception {
        long[] offsets = {0, 8192, 1 << 20, SIZE - 1024};
        int[] lengths = {4096, 512, 65536, 1024};
        Scatter scatter = new Scatter(offsets, lengths);
        byte[] data = TestData.randomBytes(1, (int) scatter.bytes());
        ByteBuf payload = Unpooled.wrappedBuffer(
                ScatterPayload.table(scatter, ByteBufAllocator.DEFAULT), Unpooled.wrappedBuffer(data));
        Reply reply = send(payload);
        assertEquals(ErrorCode.OK, reply.error(), reply.reason());
        int at = 0;
        for (int i = 0; i < offsets.length; i++) {
            assertArrayEquals(Arrays.copyOfRange(data, at, at + lengths[i]),
                    deviceBytes(offsets[i], lengths[i]), "range " + i);
            at += lengths[i];
        }
        assertArrayEquals(new byte[4096], deviceBytes(4096, 4096), "between the ranges: untouched");
    }

    @Test
    void badTablesAndRangesAreRefusedAndWriteNothing() throws Exception {
        String before = memory.sha256();
        List<Object[]> cases = List.of(
                new Object[] {payload(t -> t.writeInt(0), 512, 2), ErrorCode.EINVAL, "range count 0"},
                new Object[] {payload(t -> t.writeInt(Scatter.MAX_RANGES + 1), 512, 3),
                        ErrorCode.EINVAL, "range count 1025"},
                new Object[] {payload(t -> t.writeInt(2).writeLong(0).writeInt(512), 0, 4),
                        ErrorCode.EINVAL, "range count 2"},
                new Object[] {payload(t -> t.writeInt(1).writeLong(0).writeInt(0), 0, 5),
                        ErrorCode.EINVAL, "length 0"},
                new Object[] {payload(t -> t.writeInt(2).writeLong(4096).writeInt(512)
                        .writeLong(0).writeInt(512), 1024, 6), ErrorCode.EINVAL, "increasing"},
                new Object[] {payload(t -> t.writeInt(2).writeLong(0).writeInt(1024)
                        .writeLong(512).writeInt(512), 1536, 7), ErrorCode.EINVAL, "increasing"},
                new Object[] {payload(t -> t.writeInt(1).writeLong(0).writeInt(1024), 512, 8),
                        ErrorCode.EINVAL, "512 bytes of data"},
                new Object[] {payload(t -> t.writeInt(1).writeLong(0).writeInt(-1), 512, 9),
                        ErrorCode.EINVAL, "length -1"},
                new Object[] {payload(t -> t.writeInt(2).writeLong(0).writeInt(512)
                        .writeLong(SIZE).writeInt(512), 1024, 10), ErrorCode.EOVERFLOW, "past the end"},
                new Object[] {payload(t -> t.writeInt(2).writeLong(0).writeInt(512)
                        .writeLong(1000).writeInt(512), 1024, 11), ErrorCode.EINVAL, "multiples"},
                new Object[] {payload(t -> t.writeShort(1), 0, 12), ErrorCode.EINVAL, "range table"});
        for (Object[] c : cases) {
            Reply reply = send((ByteBuf) c[0]);
            assertEquals(c[1], reply.error(), reply.reason());
            assertTrue(reply.reason().contains((String) c[2]), reply.reason());
        }
        assertEquals(before, memory.sha256(), "nothing written");

        socket.send(Request.write(++sequence, 0, Unpooled.wrappedBuffer(new byte[512]), false));
        assertEquals(ErrorCode.OK, ((Reply) socket.receive()).error(), "the connection goes on");
    }

    @Test
    void aCorruptedPayloadIsRefusedByItsChecksum() throws Exception {
        String before = memory.sha256();
        Scatter scatter = new Scatter(new long[] {0, 4096}, new int[] {512, 512});
        ByteBuf payload = Unpooled.buffer().writeBytes(ScatterPayload.table(scatter, ByteBufAllocator.DEFAULT))
                .writeBytes(TestData.randomBytes(13, 1024));
        int crc = Payloads.crc32c(payload);
        payload.setByte(payload.writerIndex() - 1, payload.getByte(payload.writerIndex() - 1) ^ 1);
        socket.send(new Request(Command.WRITE_SCATTERED.code(), 0, ++sequence, 0,
                payload.readableBytes(), crc, payload));
        Reply reply = (Reply) socket.receive();
        assertEquals(ErrorCode.EBADMSG, reply.error(), reply.reason());
        assertEquals(before, memory.sha256());
    }
}
