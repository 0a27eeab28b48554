package io.mirrorgate.server.daemon;

import io.mirrorgate.common.cli.Keys;
import io.mirrorgate.common.lifecycle.CloseStack;
import io.mirrorgate.server.device.LocalBlockDevice;
import io.mirrorgate.server.device.LocalDeviceOptions;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.common.error.Reasons;
import io.mirrorgate.server.export.ExportRegistry;
import io.mirrorgate.server.export.ExportsFile;
import io.mirrorgate.server.ggate.GgateServerChannelInitializer;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.server.ggate.GgateServerConfig;
import io.mirrorgate.server.nbd.NbdServer;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.common.net.HostPort;
import io.mirrorgate.server.transport.ListenFailure;
import io.mirrorgate.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running ggate-server: the exports of an exports file, served in the ggate protocol and (unless
 * disabled) in NBD, from one set of event loops.
 *
 * <p>Start validates everything first (the exports file, the key, the addresses), then opens the
 * devices, then listens; a failure half way closes what was opened. {@link #close()} is the
 * SIGTERM path: stop accepting, let every connection finish the requests it has in flight and
 * reply, close the connections, then flush and close the devices.
 */
public final class GgateDaemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GgateDaemon.class);

    /**
     * What the daemon serves and where.
     *
     * @param exportsFile the exports file (gg.exports form)
     * @param ggateListen the ggate protocol address
     * @param nbdListen the NBD address, or null for no NBD
     * @param keyFile the shared key file of the ggate protocol
     * @param stateDirectory where per-export epochs and generations are kept
     * @param deviceOptions how the export devices are opened
     * @param maxRequestSize the largest request payload, both protocols
     * @param limits bytes in flight per connection and server, frame, idle and drain timeouts
     *     (each protocol's server gets its own byte budget)
     * @param tls TLS for both protocols (ggate: TLS from the first byte; NBD: STARTTLS)
     */
    public record Settings(Path exportsFile, HostPort ggateListen, HostPort nbdListen, Path keyFile,
            Path stateDirectory, LocalDeviceOptions deviceOptions, int maxRequestSize,
            ConnectionLimits limits, ServerTls tls) {
        /** With the default {@link ConnectionLimits}. */
        public Settings(Path exportsFile, HostPort ggateListen, HostPort nbdListen, Path keyFile,
                Path stateDirectory, LocalDeviceOptions deviceOptions, int maxRequestSize) {
            this(exportsFile, ggateListen, nbdListen, keyFile, stateDirectory, deviceOptions,
                    maxRequestSize, ConnectionLimits.defaults(), ServerTls.off());
        }
    }

    private final CloseStack opened;
    private final Channel ggateChannel;
    private final NbdServer nbd;
    private final GgateServerChannelInitializer ggate;
    private final ExportRegistry registry;
    private boolean closed;

    private GgateDaemon(CloseStack opened, Channel ggateChannel, NbdServer nbd,
            GgateServerChannelInitializer ggate, ExportRegistry registry) {
        this.opened = opened;
        this.ggateChannel = ggateChannel;
        this.nbd = nbd;
        this.ggate = ggate;
        this.registry = registry;
    }

    /** Validates the settings, opens the exports and listens. */
    public static GgateDaemon start(Settings settings) {
        ExportsFile exports = ExportsFile.load(settings.exportsFile());
        byte[] key = Keys.read(settings.keyFile());
        if (settings.maxRequestSize() < GgateProtocol.MIN_MAX_REQUEST_SIZE) {
            throw new MirrorgateException(ErrorCode.EINVAL, "max request size: "
                    + settings.maxRequestSize() + " (expected: >= " + GgateProtocol.MIN_MAX_REQUEST_SIZE + ")");
        }
        CloseStack opened = new CloseStack("ggate-server");
        try {
            ExportRegistry registry = ExportRegistry.open(exports, spec -> LocalBlockDevice.open(
                    Path.of(spec.path()), settings.deviceOptions().withReadOnly(
                            spec.readOnly() || settings.deviceOptions().readOnly())));
            opened.push(registry);
            GgateServerConfig config = GgateServerConfig.of(registry, key, settings.stateDirectory())
                    .withMaxRequestSize(settings.maxRequestSize())
                    .withLimits(settings.limits().forNewServer())
                    .withTls(settings.tls());
            GgateServerChannelInitializer ggate = new GgateServerChannelInitializer(config);
            opened.push(ggate);
            EventLoopGroup loops = Transport.newGroup(0, "ggate-server");
            opened.push(() -> loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
            Channel channel = bind(settings.ggateListen(), loops, ggate);
            opened.push(() -> channel.close().syncUninterruptibly());
            NbdServer nbd = null;
            if (settings.nbdListen() != null) {
                nbd = NbdServer.start(registry, settings.nbdListen().toSocketAddress(),
                        settings.maxRequestSize(), loops, "--nbd-listen", settings.limits(),
                        settings.tls());
                opened.push(nbd);
            }
            LOG.info("ggate-server started exports={} ggate={} nbd={} tls={} transport={}",
                    exports.exports().size(), channel.localAddress(),
                    nbd != null ? nbd.localAddress() : "off", settings.tls(),
                    Transport.nativeEpoll() ? "epoll" : "nio");
            return new GgateDaemon(opened, channel, nbd, ggate, registry);
        } catch (RuntimeException e) {
            opened.closeAfter(e);
            throw e;
        }
    }

    private static Channel bind(HostPort address, EventLoopGroup loops,
            GgateServerChannelInitializer ggate) {
        try {
            return new ServerBootstrap()
                    .group(loops)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(ggate)
                    .bind(address.toSocketAddress()).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the bind failure (an IOException) unchecked
            throw ListenFailure.of("ggate", address, "-l", e);
        }
    }

    /** The bound ggate address. */
    public InetSocketAddress ggateAddress() {
        return (InetSocketAddress) ggateChannel.localAddress();
    }

    /** The bound NBD address, or null when NBD is off. */
    public InetSocketAddress nbdAddress() {
        return nbd != null ? nbd.localAddress() : null;
    }

    /** The exports being served. */
    public ExportRegistry registry() {
        return registry;
    }

    /**
     * Graceful stop: no new connections; every connection finishes and answers what it has in
     * flight; then the devices are flushed and closed. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("ggate-server stopping: draining connections ggate={} ", ggate.channels().size());
        ggateChannel.close().syncUninterruptibly();
        ggate.shutdownGracefully(); // both protocols drain at the same time
        if (nbd != null) {
            nbd.close();
        }
        long drainMs = ggate.config().limits().drainTimeout().toMillis() + 1000;
        if (!ggate.channels().newCloseFuture().awaitUninterruptibly(drainMs)) {
            LOG.warn("ggate connections still open after {} ms, closing them count={}",
                    drainMs, ggate.channels().size());
            ggate.channels().close().awaitUninterruptibly(drainMs);
        }
        opened.close();
        LOG.info("ggate-server stopped");
    }
}
