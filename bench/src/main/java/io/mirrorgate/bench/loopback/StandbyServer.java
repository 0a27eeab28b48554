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
    private final GgateServerConfig config;
    private GgateServerChannelInitializer initializer;
    private Channel listener;
    private int port;

    private StandbyServer(EventLoopGroup group, GgateServerConfig config) {
        this.group = group;
        this.config = config;
    }

    static StandbyServer start(GgateServerConfig config) throws InterruptedException {
        StandbyServer server = new StandbyServer(Transport.newGroup(2, "ggate-standby"), config);
        try {
            server.bind(0);
            return server;
        } catch (InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Listens on {@code wanted} (0: an ephemeral port) with a fresh initializer. */
    private void bind(int wanted) throws InterruptedException {
        initializer = new GgateServerChannelInitializer(config);
        listener = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childHandler(initializer)
                .bind(new InetSocketAddress("127.0.0.1", wanted)).sync().channel();
        port = ((InetSocketAddress) listener.localAddress()).getPort();
    }

    int port() {
        return port;
    }

    /** Stops listening and closes every connection (the event loops stay); {@link #restart} undoes it. */
    void stop() throws InterruptedException {
        if (listener != null) {
            listener.close().await(5, TimeUnit.SECONDS);
            listener = null;
        }
        if (initializer != null) {
            initializer.channels().close().await(5, TimeUnit.SECONDS);
            initializer.close();
            initializer = null;
        }
    }

    /** Listens again on the same port after {@link #stop}: the standby is back. */
    void restart() throws InterruptedException {
        bind(port);
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
