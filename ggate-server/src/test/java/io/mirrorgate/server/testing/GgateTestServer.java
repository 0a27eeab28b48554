package io.mirrorgate.server.testing;

import io.mirrorgate.server.ggate.GgateServerChannelInitializer;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * An embedded ggate server on 127.0.0.1 for tests: binds an ephemeral port (or a given one, to
 * restart on the same port), can drop every connection, shut down gracefully, and close.
 */
public final class GgateTestServer implements AutoCloseable {
    private final GgateServerConfig config;
    private final EventLoopGroup group;
    private GgateServerChannelInitializer initializer;
    private Channel listener;
    private int port;

    private GgateTestServer(GgateServerConfig config) {
        this.config = config;
        this.group = Transport.newGroup(2, "ggate-test-server");
    }

    /** Starts a server on 127.0.0.1 and an ephemeral port. */
    public static GgateTestServer start(GgateServerConfig config) throws InterruptedException {
        return start(config, 0);
    }

    /** Starts a server on 127.0.0.1 and {@code port} (0: ephemeral). */
    public static GgateTestServer start(GgateServerConfig config, int port) throws InterruptedException {
        GgateTestServer server = new GgateTestServer(config);
        try {
            server.bind(port);
        } catch (InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void bind(int wanted) throws InterruptedException {
        initializer = new GgateServerChannelInitializer(config);
        listener = new ServerBootstrap().group(group).channel(Transport.serverChannel())
                .childHandler(initializer)
                .bind(new InetSocketAddress("127.0.0.1", wanted)).sync().channel();
        port = ((InetSocketAddress) listener.localAddress()).getPort();
    }

    public int port() {
        return port;
    }

    public GgateServerChannelInitializer initializer() {
        return initializer;
    }

    /** Closes every client connection abruptly (the listener stays). */
    public void dropConnections() throws InterruptedException {
        initializer.channels().close().await(5, TimeUnit.SECONDS);
    }

    /** Stops listening and closes every connection; {@link #restart} binds the same port again. */
    public void stop() throws InterruptedException {
        if (listener != null) {
            listener.close().await(5, TimeUnit.SECONDS);
            listener = null;
        }
        if (initializer != null) {
            initializer.channels().close().await(5, TimeUnit.SECONDS);
            initializer.close();
        }
    }

    /** Binds the same port again after {@link #stop}. */
    public void restart() throws InterruptedException {
        bind(port);
    }

    /** Graceful shutdown of every connection, waiting up to 10 s for them to close. */
    public void shutdownGracefully() throws InterruptedException {
        initializer.shutdownGracefully();
        initializer.channels().newCloseFuture().await(10, TimeUnit.SECONDS);
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
