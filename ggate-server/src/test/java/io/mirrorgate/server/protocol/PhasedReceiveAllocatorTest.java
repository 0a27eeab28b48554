package io.mirrorgate.server.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelConfig;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class PhasedReceiveAllocatorTest {
    private final ChannelConfig config = new EmbeddedChannel().config();

    @Test
    void theSecondPhaseStartsAtTheNextReadLoopNotInTheMiddleOfOne() {
        PhasedReceiveAllocator phased = new PhasedReceiveAllocator(
                new FixedRecvByteBufAllocator(4096).maxMessagesPerRead(1),
                new FixedRecvByteBufAllocator(65536).maxMessagesPerRead(4));
        RecvByteBufAllocator.Handle handle = phased.newHandle();
        handle.reset(config);
        assertEquals(4096, handle.guess());
        handle.lastBytesRead(4096);
        handle.incMessagesRead(1);
        phased.advance();
        assertEquals(4096, handle.guess(), "the loop under way keeps its handle");
        assertFalse(handle.continueReading(), "one read per turn in the first phase");
        handle.readComplete();

        handle.reset(config);
        assertEquals(65536, handle.guess());
        handle.attemptedBytesRead(65536);
        handle.lastBytesRead(65536);
        handle.incMessagesRead(1);
        assertEquals(65536, handle.lastBytesRead());
        assertTrue(handle.continueReading(), "several reads per turn in the second phase");
    }
}
