package io.mirrorgate.replicator.role;

import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.ggate.GgateServerChannelInitializer;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.common.net.HostPort;
import io.mirrorgate.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ggate server through which a resource's replica is reached by the peer's primary (the
 * resource's {@code listen} address), in-process: ggate-server's own server and handshake (HMAC
 * authentication, epoch fencing, CRC32C, LZ4), one export backed by the local replica and the
 * {@link ReplicaEndpoint}. It listens in both roles; the endpoint refuses a primary while this
 * node is primary itself.
 *
 * <p>The export answers to the resource name and to the local replica's path (the default
 * {@code remote_path} of a peer whose replica lives at the same path). Only the peer's hosts
 * ({@code remote}'s addresses) and loopback are admitted.
 */
public final class ReplicaListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaListener.class);
    private static final long DRAIN_TIMEOUT_MS = 10_000;

    private final CloseStack opened;
    private final Channel channel;
    private final GgateServerChannelInitializer ggate;
    private boolean closed;

    private ReplicaListener(CloseStack opened, Channel channel, GgateServerChannelInitializer ggate) {
        this.opened = opened;
        this.channel = channel;
        this.ggate = ggate;
    }

    /**
     * Listens on {@code address} for the peer's primary.
     *
     * @param resource the resource name (an export name)
     * @param localPath the local replica's path (another export name)
     * @param device the local replica
     * @param endpoint fencing, generation and handshake of the replica
     * @param key the shared key
     * @param peerHost the peer's host ({@code remote}); its addresses are admitted
     * @param stateDirectory required by the ggate server; unused, as the endpoint keeps the state
     */
    public static ReplicaListener start(String resource, Path localPath, BlockDevice device,
            ReplicaEndpoint endpoint, byte[] key, HostPort address, String peerHost, Path stateDirectory) {
        return start(resource, localPath, device, endpoint, key, address, peerHost, stateDirectory,
                ServerTls.off());
    }

    /** As above, serving the primary over {@code tls} (required: plaintext is refused). */
    public static ReplicaListener start(String resource, Path localPath, BlockDevice device,
            ReplicaEndpoint endpoint, byte[] key, HostPort address, String peerHost, Path stateDirectory,
            ServerTls tls) {
        ExportResolver resolver = new Resolver(resource, localPath.toString(), device, endpoint, peerHost);
        CloseStack opened = new CloseStack("replica listener " + resource);
        try {
            GgateServerChannelInitializer ggate = new GgateServerChannelInitializer(
                    GgateServerConfig.of(resolver, key, stateDirectory).withTls(tls));
            opened.push(ggate);
            EventLoopGroup loops = Transport.newGroup(1, "replica-" + resource);
            opened.push(() -> loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
            Channel channel;
            try {
                channel = new ServerBootstrap().group(loops).channel(Transport.serverChannel())
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childHandler(ggate)
                        .bind(address.toSocketAddress()).syncUninterruptibly().channel();
            } catch (Exception e) { // Netty rethrows the bind failure (an IOException) unchecked
                throw io.mirrorgate.server.transport.ListenFailure.of("the peer", address,
                        "listen of resource " + resource, e);
            }
            opened.push(() -> channel.close().syncUninterruptibly());
            LOG.info("replica listening resource={} listen={}", resource, channel.localAddress());
            return new ReplicaListener(opened, channel, ggate);
        } catch (RuntimeException e) {
            opened.closeAfter(e);
            throw e;
        }
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Stops listening; the connections finish their requests in flight and close. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        channel.close().syncUninterruptibly();
        ggate.shutdownGracefully();
        if (!ggate.channels().newCloseFuture().awaitUninterruptibly(DRAIN_TIMEOUT_MS)) {
            ggate.channels().close().awaitUninterruptibly(DRAIN_TIMEOUT_MS);
        }
        opened.close();
    }

    /** The one export of the replica, for the peer's hosts and loopback. */
    private static final class Resolver implements ExportResolver {
        private final String resource;
        private final String path;
        private final BlockDevice device;
        private final ReplicaEndpoint endpoint;
        private final String peerHost;
        private Set<InetAddress> resolved;
        private long resolvedAt;

        Resolver(String resource, String path, BlockDevice device, ReplicaEndpoint endpoint, String peerHost) {
            this.resource = resource;
            this.path = path;
            this.device = device;
            this.endpoint = endpoint;
            this.peerHost = peerHost;
            peerAddresses(false);
        }

        @Override
        public Export resolve(String name, InetAddress client) {
            if (!name.equals(resource) && !name.equals(path)) {
                throw new MirrorgateException(ErrorCode.ENOENT, "no export " + name + " (this replica of "
                        + resource + " answers to " + resource + " or " + path + ")");
            }
            if (!admitted(client)) {
                throw new MirrorgateException(ErrorCode.EACCES, "host " + client.getHostAddress()
                        + " is not the peer of resource " + resource + " (expected: an address of " + peerHost + ")");
            }
            return new Export(name, device, Access.RW, endpoint);
        }

        private boolean admitted(InetAddress client) {
            if (client.isLoopbackAddress()) {
                return true;
            }
            Set<InetAddress> peer = peerAddresses(false);
            if (!peer.contains(client) && peer.stream().noneMatch(InetAddress::isAnyLocalAddress)) {
                peer = peerAddresses(true); // the peer's address may have changed: look again, rarely
            }
            return peer.contains(client) || peer.stream().anyMatch(InetAddress::isAnyLocalAddress);
        }

        /**
         * The peer host's addresses, resolved at start and again (when {@code refresh}) at most once a
         * minute: a name lookup blocks, and this runs on the event loop.
         */
        private synchronized Set<InetAddress> peerAddresses(boolean refresh) {
            long now = System.nanoTime();
            if (resolved == null || refresh && now - resolvedAt > TimeUnit.MINUTES.toNanos(1)) {
                resolvedAt = now;
                try {
                    resolved = Set.copyOf(Arrays.asList(InetAddress.getAllByName(peerHost)));
                } catch (UnknownHostException e) {
                    LOG.warn("cannot resolve the peer host of a replica resource={} host={} ({})", resource,
                            peerHost, e.getMessage());
                    resolved = resolved == null ? Set.of() : resolved;
                }
            }
            return resolved;
        }

        @Override
        public List<String> list(InetAddress client) {
            return admitted(client) ? List.of(resource) : List.of();
        }
    }
}
