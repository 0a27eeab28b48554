package io.mirrorgate.client.remote;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.mirrorgate.common.metrics.Counters;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the bytes a connection receives and sends on the wire, and notes when it last received
 * anything (first handler of the pipeline).
 */
final class WireCounter extends ChannelDuplexHandler {
    private final Counters<RemoteCounter> counters;
    private final AtomicLong lastReadNanos;

    WireCounter(Counters<RemoteCounter> counters, AtomicLong lastReadNanos) {
        this.counters = counters;
        this.lastReadNanos = lastReadNanos;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        counters.add(RemoteCounter.BYTES_IN, size(msg));
        lastReadNanos.set(System.nanoTime());
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        counters.add(RemoteCounter.BYTES_OUT, size(msg));
        super.write(ctx, msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        return 0;
    }
}
