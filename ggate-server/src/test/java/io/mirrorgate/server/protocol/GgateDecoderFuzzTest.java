package io.mirrorgate.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.testing.FuzzInput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ggate decoder fed arbitrary and mutated frames in fragments, as a server before and after
 * the handshake and as a client: nothing but a {@link DecoderException} escapes, every input
 * buffer and every decoded message is released, and no buffer larger than a frame's limit is
 * asked for. {@code -Dmirrorgate.fuzz.tries=1000000} for a long run ({@link FuzzInput}).
 */
class GgateDecoderFuzzTest {
    private static final int MAX = 64 * 1024;

    private static List<byte[]> frames() {
        List<byte[]> seeds = new ArrayList<>();
        EmbeddedChannel enc = new EmbeddedChannel(new GgateEncoder());
        Hello hello = new Hello(GgateProtocol.VERSION, Access.RW, GgateProtocol.FEATURE_LZ4, 7, 3,
                HandshakeAuth.nonce(), "/data/disk.img", "alpha");
        for (Object m : new Object[] {hello, new Challenge(GgateProtocol.VERSION, HandshakeAuth.nonce()),
                new Auth(new byte[32]), Welcome.refusal(ErrorCode.EACCES, "no"),
                Request.write(1, 4096, Unpooled.wrappedBuffer(new byte[1024]), true),
                Request.read(2, 0, 4096), Request.flush(3), Request.disconnect(4),
                Reply.ok(5, Unpooled.wrappedBuffer(new byte[512])), Reply.error(6, ErrorCode.EIO, "bad")}) {
            enc.writeOutbound(m);
            ByteBuf out;
            List<byte[]> parts = new ArrayList<>();
            while ((out = enc.readOutbound()) != null) {
                parts.add(ByteBufUtil.getBytes(out));
                out.release();
            }
            int length = parts.stream().mapToInt(p -> p.length).sum();
            byte[] joined = new byte[length];
            int at = 0;
            for (byte[] p : parts) {
                System.arraycopy(p, 0, joined, at, p.length);
                at += p.length;
            }
            seeds.add(joined);
        }
        enc.finishAndReleaseAll();
        return seeds;
    }

    @Test
    void serverBeforeTheHandshake() {
        FuzzInput.forEach(frames(), 2048, c -> feed(new GgateCodec(MAX).handshakeFirst(), c,
                GgateProtocol.HEADER_LENGTH + GgateProtocol.MAX_HANDSHAKE_BODY));
    }

    @Test
    void serverAfterTheHandshake() {
        FuzzInput.forEach(frames(), 2048, c -> {
            GgateCodec codec = new GgateCodec(MAX);
            codec.enableCompression();
            feed(codec, c, GgateProtocol.HEADER_LENGTH + GgateProtocol.maxReplyBody(MAX) + MAX);
        });
    }

    private static void feed(GgateCodec codec, FuzzInput.Case c, long limit) {
        FuzzInput.TrackingAllocator alloc = new FuzzInput.TrackingAllocator();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast(codec);
        List<ByteBuf> fed = new ArrayList<>();
        for (byte[] part : c.fragments()) {
            ByteBuf b = Unpooled.wrappedBuffer(part);
            fed.add(b);
            try {
                ch.writeInbound(b);
            } catch (DecoderException expected) {
                // the protocol's own failure: the connection would be closed
            }
            Object m;
            while ((m = ch.readInbound()) != null) {
                ReferenceCountUtil.release(m);
            }
        }
        try {
            ch.finishAndReleaseAll();
        } catch (DecoderException expected) {
            // a truncated frame at close
        }
        for (ByteBuf b : fed) {
            assertEquals(0, b.refCnt(), "an input buffer was not released");
        }
        assertTrue(alloc.largest() <= limit, "allocated " + alloc.largest() + " > " + limit);
    }
}
