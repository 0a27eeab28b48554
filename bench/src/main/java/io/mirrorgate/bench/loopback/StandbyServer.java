package io.mirrorgate.bench.loopback;

import io.mirrorgate.server.ggate.GgateServerChannelInitializer;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The ggate server of a {@link LoopbackStandby}: ggate-server's own channel initializer (the
 * handshake, fencing state and request dispatch that {@code ggate-server} runs) on 127.0.0.1 and
 * an ephemeral port, with two event loops of its own. Part of the benchmark jar, so that it does
 * not need ggate-server's test fixtures.
 */
final class StandbyServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final GgateServerChannelInitializer initializer;
    private Channel listener;
    private final int port;

    private StandbyServer(EventLoopGroup group, GgateServerChannelInitializer initializer, Channel listener) {
        this.group = group;
        this.initializer = initializer;
        this.listener = listener;
        this.port = ((InetSocketAddress) listener.localAddress()).getPort();
    }

    static StandbyServer start(GgateServerConfig config) throws InterruptedException {
        EventLoopGroup group = Transport.newGroup(2, "ggate-standby");
        GgateServerChannelInitializer initializer = new GgateServerChannelInitializer(config);
        try {
            Channel listener = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                    .childHandler(initializer)
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            return new StandbyServer(group, initializer, listener);
        } catch (InterruptedException | RuntimeException e) {
            initializer.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    int port() {
        return port;
    }

    /** Stops listening and closes every connection (the event loops stay). */
    void stop() throws InterruptedException {
        if (listener != null) {
            listener.close().await(5, TimeUnit.SECONDS);
            listener = null;
            initializer.channels().close().await(5, TimeUnit.SECONDS);
            initializer.close();
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stop();
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
    }
}
