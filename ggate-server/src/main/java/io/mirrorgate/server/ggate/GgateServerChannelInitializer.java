package io.mirrorgate.server.ggate;

import io.mirrorgate.common.lifecycle.GracefulShutdown;
import io.mirrorgate.server.guard.ConnectionTimeouts;
import io.mirrorgate.server.guard.PeerWarnings;
import io.mirrorgate.server.protocol.GgateCodec;
import io.mirrorgate.server.protocol.HandshakeAuth;
import io.mirrorgate.server.protocol.SocketTuning;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.server.tls.TlsMode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * Sets up a ggate connection's pipeline (TLS when configured, {@link ConnectionTimeouts}, flush
 * consolidation, {@link
 * GgateCodec} accepting handshake frames only until the client is admitted, {@link
 * GgateServerHandler}) and
 * owns what the connections share: the per-export state store and the group of open
 * connections. Wire it to a server in a few lines:
 *
 * <pre>{@code
 * GgateServerChannelInitializer ggate = new GgateServerChannelInitializer(
 *         GgateServerConfig.of(resolver, Files.readAllBytes(keyFile), stateDir));
 * new ServerBootstrap().group(boss, workers).channel(Transport.serverChannel())
 *         .childHandler(ggate).bind(port);
 * ...
 * ggate.shutdownGracefully();   // SIGTERM: in-flight requests finish and reply
 * ggate.close();                // after the event loops stopped
 * }</pre>
 */
public final class GgateServerChannelInitializer extends ChannelInitializer<Channel>
        implements AutoCloseable {
    private final GgateServerConfig config;
    private final ExportStateStore store;
    private final SessionRegistry sessions = new SessionRegistry();
    private final ChannelGroup channels = new DefaultChannelGroup("ggate", GlobalEventExecutor.INSTANCE);
    private final PeerWarnings warnings = PeerWarnings.defaults();

    public GgateServerChannelInitializer(GgateServerConfig config) {
        this.config = config;
        this.store = new ExportStateStore(config.stateDirectory());
        HandshakeAuth.prepare(config.key());
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.config().setOption(ChannelOption.SO_KEEPALIVE, true);
        warnings.attach(ch);
        GgateCodec codec = new GgateCodec(config.maxRequestSize()).handshakeFirst();
        ServerTls tls = config.tls();
        SocketTuning.apply(ch.config(), codec, tls.enabled());
        config.limits().attach(ch);
        tls.attach(ch);
        if (tls.mode() == TlsMode.REQUIRE) {
            ch.pipeline().addLast("tls", tls.newHandler(ch, false, config.limits().drainTimeout()));
        } else if (tls.mode() == TlsMode.ALLOW) {
            // a TLS ClientHello starts TLS, the ggate magic stays plaintext
            ch.pipeline().addLast("tls", new OptionalSslHandler(tls.context()));
        }
        ch.pipeline().addLast("timeouts", new ConnectionTimeouts(config.limits(), codec::bufferedBytes));
        // Replies are written with writeAndFlush as their requests complete; this turns the
        // flushes of the replies that complete together (within one read, or queued on the loop
        // at the same time) into one syscall. Replies are still flushed in the same loop pass.
        ch.pipeline().addLast("flush-consolidation", new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        ch.pipeline().addLast("ggate-codec", codec);
        ch.pipeline().addLast("ggate", new GgateServerHandler(config, store, sessions, codec));
        channels.add(ch);
    }

    public GgateServerConfig config() {
        return config;
    }

    /** The per-export epoch and generation store shared by all connections. */
    public ExportStateStore stateStore() {
        return store;
    }

    /** The open ggate connections. */
    public ChannelGroup channels() {
        return channels;
    }

    /**
     * Fires {@link GracefulShutdown#EVENT} into every open connection: each stops reading,
     * lets its requests in flight finish and reply, and closes. Returns at once; wait on
     * {@code channels().newCloseFuture()} for the connections to be gone.
     */
    public void shutdownGracefully() {
        for (Channel ch : channels) {
            ch.pipeline().fireUserEventTriggered(GracefulShutdown.EVENT);
        }
    }

    /** Closes the state store. Idempotent; call after the connections are closed. */
    @Override
    public void close() {
        store.close();
    }
}
