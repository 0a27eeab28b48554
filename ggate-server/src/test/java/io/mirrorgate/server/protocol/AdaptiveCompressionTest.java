package io.mirrorgate.server.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.testing.TestData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class AdaptiveCompressionTest {
    private static final int MAX = 1 << 20;
    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true);

    @AfterEach
    void everythingReleased() {
        assertEquals(0, alloc.metric().usedDirectMemory(), "direct bytes still allocated");
        assertEquals(0, alloc.metric().usedHeapMemory(), "heap bytes still allocated");
    }

    @Test
    void missesBackOffExponentiallyUpToTheMaximum() {
        AdaptiveCompression a = new AdaptiveCompression();
        List<Integer> gaps = new ArrayList<>();
        int gap = 0;
        for (int i = 0; i < 2000; i++) {
            if (a.shouldAttempt()) {
                gaps.add(gap);
                gap = 0;
                a.record(4096, -1);
            } else {
                gap++;
            }
        }
        assertEquals(List.of(0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 256), gaps.subList(0, 12));
        assertTrue(a.attempts() <= 10 + 2000 / AdaptiveCompression.MAX_SKIP, "attempts: " + a.attempts());
        assertEquals(2000, a.attempts() + a.skipped());
        assertEquals(0, a.hits());
    }

    @Test
    void aHitResumesCompressingEveryPayload() {
        AdaptiveCompression a = new AdaptiveCompression();
        for (int i = 0; i < 1000; i++) {
            if (a.shouldAttempt()) {
                a.record(4096, -1);
            }
        }
        int untilAttempt = 0;
        while (!a.shouldAttempt()) {
            untilAttempt++;
        }
        assertTrue(untilAttempt <= AdaptiveCompression.MAX_SKIP, "waited " + untilAttempt);
        a.record(4096, 100);
        for (int i = 0; i < 10; i++) {
            assertTrue(a.shouldAttempt());
            a.record(4096, 100);
        }
        assertEquals(11, a.hits());
    }

    @Test
    void savingLessThanAnEighthIsAMiss() {
        AdaptiveCompression a = new AdaptiveCompression();
        assertTrue(a.shouldAttempt());
        a.record(4096, 4096 - 4096 / 8 + 1);
        assertFalse(a.shouldAttempt());
        assertTrue(a.shouldAttempt());
        a.record(4096, 4096 - 4096 / 8);
        assertTrue(a.shouldAttempt());
    }

    @Test
    void encoderStopsTryingOnIncompressiblePayloadsAndStillDeliversThem() {
        GgateCodec sender = new GgateCodec(MAX);
        EmbeddedChannel out = new EmbeddedChannel(sender);
        out.config().setAllocator(alloc);
        sender.enableCompression();
        GgateCodec receiver = new GgateCodec(MAX);
        EmbeddedChannel in = new EmbeddedChannel(receiver);
        in.config().setAllocator(alloc);
        receiver.enableCompression();

        int n = 600;
        for (int i = 0; i < n; i++) {
            // random first, then zeroes: the encoder must notice the change
            byte[] data = i < n / 2 ? TestData.randomBytes(i, 4096) : new byte[4096];
            assertTrue(out.writeOutbound(Request.write(i, (long) i * 4096, Unpooled.wrappedBuffer(data), false)));
            ByteBuf part;
            while ((part = out.readOutbound()) != null) {
                in.writeInbound(part);
            }
            Request r = in.readInbound();
            assertArrayEquals(data, ByteBufUtil.getBytes(r.payload()), "payload " + i);
            r.payload().release();
        }
        AdaptiveCompression a = sender.adaptiveCompression();
        // the random half: at most a dozen attempts (1 + 1 + 2 + ... up to 256 skipped)
        assertTrue(a.attempts() - a.hits() <= 12, "failed attempts: " + (a.attempts() - a.hits()));
        assertTrue(a.hits() >= n / 2 - AdaptiveCompression.MAX_SKIP, "compressed: " + a.hits());
        assertFalse(out.finish());
        assertFalse(in.finish());
    }
}
