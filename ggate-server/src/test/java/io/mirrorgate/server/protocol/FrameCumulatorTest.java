package io.mirrorgate.server.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FrameCumulatorTest {
    private static final int MIB = 1 << 20;

    @BeforeAll
    static void paranoid() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    /** Encodes messages into one heap wire buffer. */
    private static ByteBuf wire(GgateMessage... messages) {
        EmbeddedChannel ch = new EmbeddedChannel(new GgateCodec(4 * MIB));
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

    @Test
    void largeFramesInSocketSizedFragmentsDecodeIntactWithPageAlignedWritePayloads() {
        byte[] a = TestData.randomBytes(1, MIB);
        byte[] b = TestData.randomBytes(2, MIB);
        byte[] c = TestData.randomBytes(3, 3 * MIB);
        ByteBuf wire = wire(Request.write(1, 0, Unpooled.wrappedBuffer(a), false),
                Request.read(2, 4096, 4096),
                Request.write(3, MIB, Unpooled.wrappedBuffer(b), true),
                Reply.ok(4, Unpooled.wrappedBuffer(c)),
                Request.write(5, 8 * MIB, Unpooled.wrappedBuffer(b), false));
        EmbeddedChannel ch = new EmbeddedChannel(new GgateCodec(4 * MIB));
        Random random = new Random(7);
        while (wire.isReadable()) {
            int n = Math.min(wire.readableBytes(), 1 + random.nextInt(64 * 1024));
            ch.writeInbound(wire.readRetainedSlice(n));
        }
        wire.release();
        List<PayloadMessage> out = new ArrayList<>();
        Object m;
        while ((m = ch.readInbound()) != null) {
            out.add((PayloadMessage) m);
        }
        assertFalse(ch.finish());
        assertEquals(5, out.size());
        byte[][] expected = {a, null, b, c, b};
        List<ByteBuf> payloads = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            PayloadMessage msg = out.get(i);
            ByteBuf payload = msg instanceof Request r ? r.payload() : ((Reply) msg).payload();
            if (expected[i] == null) {
                assertEquals(null, payload);
                continue;
            }
            payloads.add(payload);
            assertArrayEquals(expected[i], ByteBufUtil.getBytes(payload), "payload of message " + i);
            assertTrue(msg instanceof Request r ? r.crcMatches() : ((Reply) msg).crcMatches());
            if (msg instanceof Request) {
                assertEquals(1, payload.nioBufferCount());
                assertEquals(0, payload.nioBuffer().alignmentOffset(0, FrameCumulator.ALIGNMENT),
                        "write payload " + i + " is not page-aligned");
            }
        }
        out.forEach(PayloadMessage::release);
        for (ByteBuf payload : payloads) {
            assertEquals(0, payload.refCnt(), "a payload's buffer is still referenced");
        }
    }

    @Test
    void aHugeLengthInAHeaderDoesNotAllocateMoreThanTwiceWhatArrivedPlusAStep() {
        FrameCumulator cumulator = new FrameCumulator();
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        ByteBuf cumulation = alloc.directBuffer(64 * 1024, 64 * 1024).writeZero(64 * 1024);
        cumulator.expect(32 * MIB, GgateProtocol.HEADER_LENGTH + GgateProtocol.REQUEST_FIXED_LENGTH);
        ByteBuf next = cumulator.cumulate(alloc, cumulation,
                alloc.directBuffer(64 * 1024).writeZero(64 * 1024));
        try {
            assertEquals(0, cumulation.refCnt(), "the old cumulation is released");
            assertEquals(128 * 1024, next.readableBytes());
            assertTrue(next.capacity() <= 2 * 128 * 1024 + FrameCumulator.MIN_STEP,
                    "capacity: " + next.capacity());
        } finally {
            next.release();
        }
    }

    @Test
    void aReadIntoTheLentViewIsTakenInPlaceAndTheLendingEndsWithTheFrame() {
        FrameCumulator cumulator = new FrameCumulator();
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        byte[] frame = TestData.randomBytes(9, MIB);
        cumulator.expect(MIB, GgateProtocol.HEADER_LENGTH);
        assertEquals(null, cumulator.lend(), "nothing to lend before a frame buffer exists");
        ByteBuf first = alloc.directBuffer(1000).writeBytes(frame, 0, 1000);
        ByteBuf target = cumulator.cumulate(alloc, first, Unpooled.wrappedBuffer(frame, 1000, 1000));
        try {
            int at = 2000;
            while (at < MIB) {
                ByteBuf view = cumulator.lend();
                assertEquals(2, target.refCnt(), "the view holds a reference");
                int n = Math.min(100_000, MIB - at);
                view.writeBytes(frame, at, n);
                ByteBuf next = cumulator.cumulate(alloc, target, view);
                assertTrue(next == target, "taken in place");
                assertEquals(1, target.refCnt());
                at += n;
            }
            assertArrayEquals(frame, ByteBufUtil.getBytes(target));
            cumulator.expect(0, 0);
            assertEquals(null, cumulator.lend(), "no lending once the frame is complete");
        } finally {
            target.release();
        }
    }

    @Test
    void smallFramesAndFramesThatFitInPlaceUseTheMergeCumulator() {
        FrameCumulator cumulator = new FrameCumulator();
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        ByteBuf cumulation = alloc.directBuffer(256 * 1024).writeZero(100);
        cumulator.expect(200 * 1024, GgateProtocol.HEADER_LENGTH);
        ByteBuf next = cumulator.cumulate(alloc, cumulation, Unpooled.buffer().writeZero(1000));
        try {
            assertTrue(next == cumulation, "written in place");
            assertEquals(1100, next.readableBytes());
        } finally {
            next.release();
        }
    }
}
