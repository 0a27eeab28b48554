package io.mirrorgate.client.remote;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import io.mirrorgate.server.protocol.GgateCodec;
import io.mirrorgate.server.protocol.Hello;
import io.mirrorgate.server.protocol.SocketTuning;
import io.mirrorgate.server.protocol.Welcome;
import io.mirrorgate.server.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.util.concurrent.TimeUnit;
import io.mirrorgate.common.metrics.Counters;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One connection attempt: TCP connect, pipeline (flush consolidation, wire counter, codec,
 * client handler), and the handshake, bounded by the connect timeout. Network failures come
 * back as plain {@link MirrorgateException}s (ECONNREFUSED, ETIMEDOUT, EIO), refusals as
 * {@link RemoteRefusedException}s.
 */
final class RemoteConnector {
    private final RemoteDeviceOptions options;
    private final byte[] key;
    private final String peer;
    private final EventLoop loop;
    private final Counters<RemoteCounter> counters;
    private final AtomicLong lastReadNanos;
    private final ClientChannelHandler.Listener listener;

    RemoteConnector(RemoteDeviceOptions options, EventLoop loop, Counters<RemoteCounter> counters,
            AtomicLong lastReadNanos, ClientChannelHandler.Listener listener) {
        this.options = options;
        this.key = options.key();
        this.peer = options.host() + ":" + options.port();
        this.loop = loop;
        this.counters = counters;
        this.lastReadNanos = lastReadNanos;
        this.listener = listener;
    }

    /** Connects and shakes hands; exactly one of the callbacks runs, on the loop. */
    void connect(Hello hello, BiConsumer<Channel, Welcome> connected,
            Consumer<MirrorgateException> failed) {
        Promise<Welcome> handshake = loop.newPromise();
        ChannelFuture connect = new Bootstrap().group(loop).channel(Transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout().toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        GgateCodec codec = new GgateCodec(options.maxRequestSize());
                        SocketTuning.apply(ch.config(), codec, options.tls() != null);
                        if (options.tls() != null) {
                            SslHandler tls = options.tls().newHandler(ch.alloc(), options.host(),
                                    options.port());
                            ch.pipeline().addLast("tls", tls);
                            tls.handshakeFuture().addListener(f -> {
                                if (!f.isSuccess()) {
                                    handshake.tryFailure(new RemoteRefusedException(ErrorCode.EACCES,
                                            "TLS handshake with " + peer + " failed: "
                                                    + rootMessage(f.cause())));
                                }
                            });
                        }
                        // requests submitted together (one task each) and the requests that
                        // replies free up go out with one flush per loop pass, not one each
                        ch.pipeline().addLast("flush-consolidation", new FlushConsolidationHandler(
                                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                        ch.pipeline().addLast("wire-counter", new WireCounter(counters, lastReadNanos));
                        ch.pipeline().addLast("ggate-codec", codec);
                        ch.pipeline().addLast("ggate", new ClientChannelHandler(hello, key, codec,
                                handshake, listener, peer));
                    }
                }).connect(options.host(), options.port());
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                handshake.tryFailure(networkFailure(f.cause()));
            }
        });
        ScheduledFuture<?> timer = loop.schedule(() -> {
            if (handshake.tryFailure(new MirrorgateException(ErrorCode.ETIMEDOUT, "no answer from "
                    + peer + " within " + options.connectTimeout() + " (connect and handshake)"))) {
                connect.channel().close();
            }
        }, options.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        handshake.addListener(f -> {
            timer.cancel(false);
            if (f.isSuccess()) {
                connected.accept(connect.channel(), handshake.getNow());
            } else {
                connect.channel().close();
                Throwable cause = f.cause();
                failed.accept(cause instanceof MirrorgateException m ? m
                        : new MirrorgateException(ErrorCode.EIO, MirrorgateException.messageOf(cause), cause));
            }
        });
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage());
    }

    private MirrorgateException networkFailure(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return new MirrorgateException(ErrorCode.ETIMEDOUT, "cannot connect to " + peer
                    + ": no answer within " + options.connectTimeout(), cause);
        }
        if (cause instanceof ConnectException) {
            return new MirrorgateException(ErrorCode.ECONNREFUSED, "cannot connect to " + peer
                    + ": " + Reasons.of(cause) + " (expected: a ggate-server listening there)", cause);
        }
        return new MirrorgateException(ErrorCode.EIO, "cannot connect to " + peer + ": "
                + MirrorgateException.messageOf(cause), cause);
    }
}
