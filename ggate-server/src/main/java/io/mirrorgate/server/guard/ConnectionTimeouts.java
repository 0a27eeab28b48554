package io.mirrorgate.server.guard;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that holds server memory without making progress, in both protocols (first
 * in the pipeline, after TLS): a partial frame that has received no byte for {@link
 * ConnectionLimits#frameTimeout()} while the server was reading (a WRITE that declares 32 MiB and
 * sends 31); replies that the client has not read a byte of for as long, or for a second while the
 * server's requests in flight are at their limit (so that clients which do not read cannot starve
 * those which do); and, unless the idle timeout is zero, a connection that read and wrote nothing
 * for {@link ConnectionLimits#idleTimeout()}. Checks a few times per timeout on the channel's event loop.
 */
public final class ConnectionTimeouts extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionTimeouts.class);

    /**
     * While the server's budget is full, a connection whose replies have not been read for this
     * long is closed: it holds memory the clients that do read their replies are waiting for.
     */
    static final long PRESSURE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ConnectionLimits limits;
    private final LongSupplier partialFrameBytes;
    private long lastRead = System.nanoTime();
    private long lastWrite = lastRead;
    private long lastPending;
    private long pendingSince = lastRead;
    /** When a write last completed: the client reads its replies. */
    private long lastWriteDone = lastRead;
    private final ChannelFutureListener writeDone = f -> lastWriteDone = System.nanoTime();
    private ScheduledFuture<?> check;
    /** Requests the protocol handler holds (waiting or in flight): the client is not idle. */
    private int outstanding;

    /** {@code partialFrameBytes}: what the protocol's decoder holds of a frame not yet complete. */
    public ConnectionTimeouts(ConnectionLimits limits, LongSupplier partialFrameBytes) {
        this.limits = limits;
        this.partialFrameBytes = partialFrameBytes;
    }

    /**
     * The protocol handler of {@code channel} took ({@code +1}) or answered ({@code -1}) a
     * request: a connection waiting for its replies is not idle. On the channel's event loop.
     */
    public static void outstanding(io.netty.channel.Channel channel, int delta) {
        ConnectionTimeouts t = channel.pipeline().get(ConnectionTimeouts.class);
        if (t != null) {
            t.outstanding += delta;
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        long shortest = limits.frameTimeout().toNanos();
        if (!limits.idleTimeout().isZero()) {
            shortest = Math.min(shortest, limits.idleTimeout().toNanos());
        }
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(50),
                Math.min(shortest / 4, PRESSURE_TIMEOUT_NANOS / 4));
        check = ctx.executor().scheduleAtFixedRate(() -> check(ctx), period, period, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (check != null) {
            check.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        handlerRemoved(ctx);
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!(msg instanceof ByteBuf b) || b.isReadable()) {
            lastRead = System.nanoTime();
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        lastWrite = System.nanoTime();
        if (!promise.isVoid()) {
            promise.addListener(writeDone);
        }
        super.write(ctx, msg, promise);
    }

    private void check(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        long frame = limits.frameTimeout().toNanos();
        long partial = partialFrameBytes.getAsLong();
        if (partial > 0 && ctx.channel().config().isAutoRead() && now - lastRead > frame) {
            timeout(ctx, "partial frame of " + partial + " bytes received no byte for "
                    + limits.frameTimeout());
            return;
        }
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        long pending = out == null ? 0 : out.totalPendingWriteBytes();
        if (pending == 0 || pending < lastPending) {
            pendingSince = now;
        }
        lastPending = pending;
        long stalled = pending > 0 ? now - Math.max(pendingSince, lastWriteDone) : 0;
        if (stalled > frame) {
            timeout(ctx, pending + " bytes of replies not read for " + limits.frameTimeout());
            return;
        }
        if (stalled > Math.min(frame, PRESSURE_TIMEOUT_NANOS) && limits.budget().bytesOverLimit()) {
            timeout(ctx, pending + " bytes of replies not read for "
                    + TimeUnit.NANOSECONDS.toMillis(stalled) + " ms while the server's request bytes"
                    + " in flight are at their limit (" + limits.serverBytes() + ")");
            return;
        }
        Duration idle = limits.idleTimeout();
        if (!idle.isZero() && outstanding <= 0 && pending == 0
                && now - Math.max(lastRead, lastWrite) > idle.toNanos()) {
            timeout(ctx, "idle for " + idle);
        }
    }

    private void timeout(ChannelHandlerContext ctx, String why) {
        if (PeerWarnings.permit(ctx.channel()) >= 0) {
            LOG.info("connection timed out, closing peer={} reason=\"{}\"", ctx.channel().remoteAddress(), why);
        }
        ctx.close();
    }
}
