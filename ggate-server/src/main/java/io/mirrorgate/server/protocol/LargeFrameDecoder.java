package io.mirrorgate.server.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * A decoder whose large frames are assembled in one buffer by a {@link FrameCumulator}, the socket
 * reading straight into it: the base of the ggate decoder and of the NBD server's. A subclass
 * tells the cumulator about each incomplete large frame ({@link FrameCumulator#expect}) and
 * resets it when the frame is complete or the stream is broken; this class drops it when the
 * channel closes or the handler is removed.
 */
public abstract class LargeFrameDecoder extends ByteToMessageDecoder {
    protected final FrameCumulator cumulator = new FrameCumulator();

    protected LargeFrameDecoder() {
        setCumulator(cumulator);
    }

    /**
     * The receive allocator for this decoder's channel: reads land in the buffer of the large frame
     * being assembled, and {@code delegate} decides the rest. Not while TLS is on (socket reads
     * carry records, not frames).
     */
    public RecvByteBufAllocator receiveAllocator(RecvByteBufAllocator delegate) {
        return cumulator.receiveAllocator(delegate);
    }

    /** Whether socket reads may land in a large frame's buffer ({@link FrameCumulator#lendReads}). */
    public void lendReads(boolean lend) {
        cumulator.lendReads(lend);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        try {
            super.channelInactive(ctx);
        } finally {
            cumulator.reset();
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        cumulator.reset();
        super.handlerRemoved0(ctx);
    }
}
