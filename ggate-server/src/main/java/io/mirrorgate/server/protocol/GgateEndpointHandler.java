package io.mirrorgate.server.protocol;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;

/**
 * What both ends of a ggate connection (the server's handler and the client's) share: they
 * remember whether they closed the channel themselves, because the decoder then reports the
 * partial frame it was cut off in as a {@link DecoderException}, which is no protocol violation.
 */
public abstract class GgateEndpointHandler extends ChannelDuplexHandler {
    private boolean closedHere;

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        closedHere = true;
        super.close(ctx, promise);
    }

    /** Whether {@code cause} is only the partial frame left when this end closed the channel. */
    protected final boolean partialFrameAtClose(ChannelHandlerContext ctx, Throwable cause) {
        return cause instanceof DecoderException && closedHere && !ctx.channel().isActive();
    }
}
