package io.mirrorgate.server.nbd;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.common.lifecycle.GracefulShutdown;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.common.net.HostPort;
import io.mirrorgate.server.transport.ListenFailure;
import io.mirrorgate.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embeddable NBD server: binds a TCP address, serves the exports of an {@link ExportResolver}
 * and stops gracefully.
 *
 * <pre>
 * try (NbdServer server = NbdServer.start(resolver, "127.0.0.1", 0)) {
 *     int port = server.port();
 * </pre>
 *
 * {@link #close()} stops accepting, sends {@link GracefulShutdown#EVENT} to every connection (each
 * stops reading, lets its requests in flight reply, and closes), waits up to the drain timeout,
 * then closes what is left and the event loops it owns.
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);

    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Channel serverChannel;
    private final ChannelGroup connections;
    private final long drainTimeoutMs;
    private boolean closed;

    private NbdServer(EventLoopGroup group, boolean ownsGroup, Channel serverChannel,
            ChannelGroup connections, long drainTimeoutMs) {
        this.drainTimeoutMs = drainTimeoutMs;
        this.group = group;
        this.ownsGroup = ownsGroup;
        this.serverChannel = serverChannel;
        this.connections = connections;
    }

    /** The open client connections (tests look at their settings). */
    ChannelGroup connections() {
        return connections;
    }

    /** Starts a server on {@code host:port} (port 0: an ephemeral port) with its own event loops. */
    public static NbdServer start(ExportResolver resolver, String host, int port) {
        return start(resolver, host, port, "the NBD listen address");
    }

    /** As {@link #start(ExportResolver, String, int)}; a failure to bind names {@code option}. */
    public static NbdServer start(ExportResolver resolver, String host, int port, String option) {
        return start(resolver, new InetSocketAddress(host, port), NbdConstants.DEFAULT_MAX_PAYLOAD, null,
                option);
    }

    /**
     * Starts a server on {@code address}. With a null {@code group} the server creates (and at
     * close shuts down) its own; otherwise it uses {@code group} and leaves it running.
     */
    public static NbdServer start(ExportResolver resolver, InetSocketAddress address, int maxPayload,
            EventLoopGroup group) {
        return start(resolver, address, maxPayload, group, "the NBD listen address");
    }

    /**
     * As {@link #start(ExportResolver, InetSocketAddress, int, EventLoopGroup)}; a failure to
     * bind names {@code option}, the setting that chooses the address.
     */
    public static NbdServer start(ExportResolver resolver, InetSocketAddress address, int maxPayload,
            EventLoopGroup group, String option) {
        return start(resolver, address, maxPayload, group, option, ConnectionLimits.defaults());
    }

    /** As above, with the server's {@code limits} (bytes in flight, frame, idle, drain timeouts). */
    public static NbdServer start(ExportResolver resolver, InetSocketAddress address, int maxPayload,
            EventLoopGroup group, String option, ConnectionLimits limits) {
        return start(resolver, address, maxPayload, group, option, limits, ServerTls.off());
    }

    /** As above, with TLS (NBD_OPT_STARTTLS) allowed or required per {@code tls}. */
    public static NbdServer start(ExportResolver resolver, InetSocketAddress address, int maxPayload,
            EventLoopGroup group, String option, ConnectionLimits limits, ServerTls tls) {
        boolean owns = group == null;
        EventLoopGroup loops = owns ? Transport.newGroup(0, "nbd-server") : group;
        ChannelGroup connections = new DefaultChannelGroup("nbd", GlobalEventExecutor.INSTANCE);
        try {
            Channel channel = new ServerBootstrap()
                    .group(loops)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childHandler(new NbdChannelInitializer(resolver, maxPayload, connections,
                            limits.forNewServer(), tls))
                    .bind(address).syncUninterruptibly().channel();
            LOG.info("nbd server listening address={}", channel.localAddress());
            return new NbdServer(loops, owns, channel, connections, limits.drainTimeout().toMillis());
        } catch (Exception e) { // Netty rethrows the bind failure (an IOException) unchecked
            if (owns) {
                loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            }
            throw ListenFailure.of("NBD", HostPort.of(address), option, e);
        }
    }

    /** The bound address. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** The bound port. */
    public int port() {
        return localAddress().getPort();
    }

    /** The connections currently open. */
    public int connectionCount() {
        return connections.size();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        serverChannel.close().syncUninterruptibly();
        connections.forEach(ch -> ch.pipeline().fireUserEventTriggered(GracefulShutdown.EVENT));
        if (!connections.newCloseFuture().awaitUninterruptibly(drainTimeoutMs)) {
            LOG.warn("nbd connections still open after {} ms, closing them count={}",
                    drainTimeoutMs, connections.size());
        }
        connections.close().awaitUninterruptibly(drainTimeoutMs);
        if (ownsGroup) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        LOG.info("nbd server stopped address={}", serverChannel.localAddress());
    }
}
