package io.mirrorgate.server.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class GgateCodecTest {
    private static final int MAX = 1 << 20;
    private final List<ByteBuf> held = new ArrayList<>();
    /** Counts what the codec allocates: everything must be released at the end of a test. */
    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true);

    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @AfterEach
    void everythingReleased() {
        held.forEach(ByteBuf::release);
        assertEquals(0, alloc.metric().usedHeapMemory(), "heap bytes still allocated");
        assertEquals(0, alloc.metric().usedDirectMemory(), "direct bytes still allocated");
    }

    /** Encodes messages into one wire buffer. */
    private ByteBuf wire(boolean compression, GgateMessage... messages) {
        GgateCodec codec = new GgateCodec(MAX);
        EmbeddedChannel ch = new EmbeddedChannel(codec);
        ch.config().setAllocator(alloc);
        if (compression) {
            codec.enableCompression();
        }
        for (GgateMessage m : messages) {
            assertTrue(ch.writeOutbound(m));
        }
        ByteBuf all = Unpooled.buffer();
        ByteBuf part;
        while ((part = ch.readOutbound()) != null) {
            all.writeBytes(part);
            part.release();
        }
        assertFalse(ch.finish());
        return all;
    }

    /** Decodes a wire buffer fed in fragments of random sizes (1 = byte by byte). */
    private List<Object> decode(ByteBuf wire, boolean compression, int maxFragment, long seed) {
        GgateCodec codec = new GgateCodec(MAX);
        if (compression) {
            codec.enableCompression();
        }
        EmbeddedChannel ch = new EmbeddedChannel(codec);
        ch.config().setAllocator(alloc);
        Random random = new Random(seed);
        while (wire.isReadable()) {
            int n = Math.min(wire.readableBytes(), 1 + random.nextInt(maxFragment));
            ch.writeInbound(wire.readRetainedSlice(n));
        }
        wire.release();
        List<Object> out = new ArrayList<>();
        Object m;
        while ((m = ch.readInbound()) != null) {
            out.add(m);
        }
        assertFalse(ch.finish());
        return out;
    }

    private Hello hello() {
        return new Hello(GgateProtocol.VERSION, Access.RW, GgateProtocol.FEATURE_LZ4, 7L, 0x1234L,
                HandshakeAuth.nonce(), "/data/disk.img", "node-a");
    }

    @Test
    void handshakeMessagesSurviveByteByByteDelivery() {
        Hello hello = hello();
        byte[] nonce = HandshakeAuth.nonce();
        byte[] proof = HandshakeAuth.clientProof("k".getBytes(), hello, nonce);
        Welcome welcome = new Welcome(ErrorCode.OK, "", 1, 1L << 40, 4096, MAX, 9, 7,
                HandshakeAuth.serverProof("k".getBytes(), hello, nonce));
        List<Object> out = decode(wire(false, hello, new Challenge(1, nonce), new Auth(proof),
                welcome, Welcome.refusal(ErrorCode.EACCES, "nope")), false, 1, 1);
        assertEquals(5, out.size());
        Hello h = (Hello) out.get(0);
        assertEquals("/data/disk.img", h.exportName());
        assertEquals("node-a", h.nodeId());
        assertEquals(7L, h.epoch());
        assertEquals(0x1234L, h.session());
        assertEquals(Access.RW, h.access());
        assertArrayEquals(hello.clientNonce(), h.clientNonce());
        assertArrayEquals(nonce, ((Challenge) out.get(1)).serverNonce());
        assertArrayEquals(proof, ((Auth) out.get(2)).proof());
        Welcome w = (Welcome) out.get(3);
        assertEquals(1L << 40, w.size());
        assertEquals(9, w.generation());
        assertArrayEquals(welcome.serverProof(), w.serverProof());
        assertEquals(ErrorCode.EACCES, ((Welcome) out.get(4)).error());
        assertEquals("nope", ((Welcome) out.get(4)).reason());
    }

    @Test
    void requestsAndRepliesSurviveRandomFragmentsWithAndWithoutCompression() {
        for (boolean lz4 : new boolean[] {false, true}) {
            byte[] random = TestData.randomBytes(42, 64 * 1024);
            byte[] zeros = new byte[64 * 1024];
            long bigOffset = 5L << 32;
            ByteBuf wire = wire(lz4,
                    Request.write(1, bigOffset, Unpooled.wrappedBuffer(random), true),
                    Request.write(2, 0, Unpooled.wrappedBuffer(zeros), false),
                    Request.read(3, 4096, 65536),
                    Request.trim(4, 8192, 0xFFFFF000L),
                    Request.setGeneration(5, 77, alloc),
                    Reply.ok(6, Unpooled.wrappedBuffer(random)),
                    Reply.error(7, ErrorCode.EROFS, "read-only export"),
                    Reply.ok(8));
            List<Object> out = decode(wire, lz4, 300, 3);
            assertEquals(8, out.size());
            Request w1 = (Request) out.get(0);
            assertEquals(Command.WRITE, w1.command());
            assertTrue(w1.fua());
            assertEquals(bigOffset, w1.offset());
            assertTrue(w1.crcMatches());
            assertArrayEquals(random, ByteBufUtil.getBytes(w1.payload()));
            Request w2 = (Request) out.get(1);
            assertArrayEquals(zeros, ByteBufUtil.getBytes(w2.payload()));
            assertFalse(w2.fua());
            assertEquals(65536, ((Request) out.get(2)).length());
            assertEquals(0xFFFFF000L, ((Request) out.get(3)).length());
            assertEquals(77, ((Request) out.get(4)).payload().getLong(0));
            Reply r6 = (Reply) out.get(5);
            assertTrue(r6.crcMatches());
            assertArrayEquals(random, ByteBufUtil.getBytes(r6.payload()));
            assertEquals("read-only export", ((Reply) out.get(6)).reason());
            assertNull(((Reply) out.get(7)).payload());
            out.forEach(m -> ((PayloadMessage) m).release());
        }
    }

    @Test
    void compressionShrinksCompressibleDataAndLeavesRandomDataAlone() {
        ByteBuf zeros = wire(true, Request.write(1, 0, Unpooled.wrappedBuffer(new byte[65536]), false));
        ByteBuf random = wire(true, Request.write(1, 0,
                Unpooled.wrappedBuffer(TestData.randomBytes(1, 65536)), false));
        held.add(zeros);
        held.add(random);
        assertTrue(zeros.readableBytes() < 2000, "zeros on the wire: " + zeros.readableBytes());
        assertEquals(0, zeros.getByte(5) & GgateProtocol.FLAG_COMPRESSED ^ GgateProtocol.FLAG_COMPRESSED);
        assertEquals(GgateProtocol.HEADER_LENGTH + GgateProtocol.REQUEST_FIXED_LENGTH + 65536,
                random.readableBytes());
        assertEquals(0, random.getByte(5) & GgateProtocol.FLAG_COMPRESSED);
    }

    @Test
    void corruptedPayloadIsDecodedButFailsTheCrcCheck() {
        ByteBuf wire = wire(false, Request.write(1, 0, Unpooled.wrappedBuffer(new byte[4096]), false));
        wire.setByte(wire.writerIndex() - 1, 1);
        Request r = (Request) decode(wire, false, 4096, 1).get(0);
        assertFalse(r.crcMatches());
        r.release();
    }

    private DecoderException feedExpectingFailure(ByteBuf bytes) {
        EmbeddedChannel ch = new EmbeddedChannel(new GgateCodec(MAX));
        ch.config().setAllocator(alloc);
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(bytes));
        // after a violation everything else is discarded
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[100]));
        assertNull(ch.readInbound());
        ch.finishAndReleaseAll();
        return e;
    }

    @Test
    void oversizedLengthIsRejectedBeforeAllocation() {
        ByteBuf header = Unpooled.buffer().writeInt(GgateProtocol.MAGIC)
                .writeByte(GgateProtocol.TYPE_REQUEST).writeByte(0).writeShort(0).writeInt(70000000);
        DecoderException e = feedExpectingFailure(header);
        assertTrue(e instanceof TooLongFrameException);
        assertEquals("length: 70000000 (expected: <= "
                + GgateProtocol.maxRequestBody(MAX) + ")", e.getMessage());
    }

    @Test
    void compressedPayloadClaimingMoreThanTheLimitIsRejected() {
        ByteBuf body = Unpooled.buffer().writeShort(Command.WRITE.code()).writeShort(0).writeInt(0)
                .writeLong(1).writeLong(0).writeInt(MAX + 1).writeBytes(new byte[16]);
        ByteBuf frame = Unpooled.buffer().writeInt(GgateProtocol.MAGIC)
                .writeByte(GgateProtocol.TYPE_REQUEST).writeByte(GgateProtocol.FLAG_COMPRESSED)
                .writeShort(0).writeInt(body.readableBytes()).writeBytes(body);
        body.release();
        GgateCodec codec = new GgateCodec(MAX);
        codec.enableCompression();
        EmbeddedChannel ch = new EmbeddedChannel(codec);
        ch.config().setAllocator(alloc);
        DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(frame));
        assertEquals("length: " + (MAX + 1) + " (expected: <= " + MAX + ")", e.getMessage());
        ch.finishAndReleaseAll();
    }

    @Test
    void badMagicAndGarbageAreProtocolViolations() {
        DecoderException e = feedExpectingFailure(
                Unpooled.wrappedBuffer(TestData.randomBytes(5, 64)).setInt(0, 0x12345678));
        assertTrue(e instanceof CorruptedFrameException);
        assertEquals("magic: 0x12345678 (expected: 0x4d474754)", e.getMessage());
        ByteBuf badType = Unpooled.buffer().writeInt(GgateProtocol.MAGIC).writeByte(99)
                .writeByte(0).writeShort(0).writeInt(0);
        assertEquals("frame type: 99 (expected: 1 to 6)", feedExpectingFailure(badType).getMessage());
    }

    @Test
    void compressedFrameWithoutNegotiationIsRefused() {
        ByteBuf wire = wire(true, Request.write(1, 0, Unpooled.wrappedBuffer(new byte[8192]), false));
        DecoderException e = feedExpectingFailure(wire);
        assertTrue(e.getMessage().contains("LZ4 was not negotiated"), e.getMessage());
    }

    @Test
    void truncatedFrameAtCloseIsReported() {
        ByteBuf wire = wire(false, Request.write(1, 0, Unpooled.wrappedBuffer(new byte[4096]), false));
        EmbeddedChannel ch = new EmbeddedChannel(new GgateCodec(MAX));
        ch.config().setAllocator(alloc);
        ch.writeInbound(wire.readRetainedSlice(100));
        wire.release();
        assertNull(ch.readInbound());
        DecoderException e = assertThrows(DecoderException.class, ch::finish);
        assertTrue(e.getMessage().contains("truncated frame at close: 100 bytes"), e.getMessage());
    }
}
