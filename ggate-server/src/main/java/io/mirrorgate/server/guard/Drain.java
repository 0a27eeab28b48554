package io.mirrorgate.server.guard;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way both protocols end a connection without cutting a reply off: wait until every
 * byte written so far has left (an empty write queued behind them completes only then), bounded
 * by the drain timeout, and only then close. Closing (or shutting the output down) with writes
 * still queued discards them: a large READ reply to a slow reader arrived in part.
 *
 * <p>{@link #close} closes; {@link #halfClose} shuts the output down (FIN), then reads and
 * discards what the client still sends for {@code linger} before closing: closing with unread
 * input would make the kernel reset the connection, and the client could lose replies already
 * sent. Over TLS both just close: the TLS handler writes its close_notify behind the queued
 * records and closes once it is out. Call on the channel's event loop or any thread.
 */
public final class Drain {
    private static final Logger LOG = LoggerFactory.getLogger(Drain.class);
    /** How long closing waits for the queued replies to be written, unless configured. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private Drain() {}

    /** Closes {@code ch} once everything written before has been sent, or after {@code timeout}. */
    public static void close(Channel ch, Duration timeout) {
        afterWrites(ch, timeout, () -> ch.close());
    }

    /**
     * Shuts the output of {@code ch} down once everything written before has been sent (or after
     * {@code timeout}), then lets {@code onOutputShut} turn reading back on to discard what
     * arrives, and closes after {@code linger}. A channel that cannot half-close just closes.
     */
    public static void halfClose(Channel ch, Duration timeout, Duration linger, Runnable onOutputShut) {
        afterWrites(ch, timeout, () -> {
            if (!(ch instanceof DuplexChannel duplex) || !duplex.isActive()) {
                ch.close();
                return;
            }
            duplex.shutdownOutput().addListener(f -> {
                onOutputShut.run();
                ch.eventLoop().schedule(() -> ch.close(), linger.toNanos(), TimeUnit.NANOSECONDS);
            });
        });
    }

    private static void afterWrites(Channel ch, Duration timeout, Runnable then) {
        if (!ch.isActive()) {
            ch.close();
            return;
        }
        if (ch.pipeline().get(SslHandler.class) != null) {
            // TLS: closing sends close_notify behind the queued records and closes once it is
            // written (bounded by the handler's close-notify timeout, set to the drain timeout)
            ch.close();
            return;
        }
        if (pendingBytes(ch) == 0) {
            then.run();
            return;
        }
        ChannelFuture written = ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
        ScheduledFuture<?> limit = ch.eventLoop().schedule(() -> {
            if (ch.isActive()) {
                LOG.info("replies not consumed within the drain timeout, closing peer={} timeout={}"
                        + " pendingBytes={}", ch.remoteAddress(), timeout, pendingBytes(ch));
                ch.close();
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        written.addListener(f -> {
            limit.cancel(false);
            if (ch.isActive()) {
                then.run();
            }
        });
    }

    private static long pendingBytes(Channel ch) {
        return ch.unsafe().outboundBuffer() == null ? 0 : ch.unsafe().outboundBuffer().totalPendingWriteBytes();
    }
}
