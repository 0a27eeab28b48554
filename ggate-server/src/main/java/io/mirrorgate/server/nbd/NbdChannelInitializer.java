package io.mirrorgate.server.nbd;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.nbdprotocol.NbdServerDecoder;
import io.mirrorgate.server.nbdprotocol.NbdServerEncoder;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.guard.ConnectionTimeouts;
import io.mirrorgate.server.guard.PeerWarnings;
import io.mirrorgate.server.tls.ServerTls;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * Sets up an accepted connection for NBD: decoder, encoder and the option-haggling handler (which
 * later replaces itself with the transmission handler). Usable in any server bootstrap; {@link
 * NbdServer} is the ready-made one.
 */
public final class NbdChannelInitializer extends ChannelInitializer<Channel> {
    private final ExportResolver resolver;
    private final int maxPayload;
    private final ChannelGroup channels;
    private final PeerWarnings warnings = PeerWarnings.defaults();
    private final ConnectionLimits limits;
    private final ServerTls tls;

    /** Serves the exports of {@code resolver} with the default 32 MiB maximum payload. */
    public NbdChannelInitializer(ExportResolver resolver) {
        this(resolver, NbdConstants.DEFAULT_MAX_PAYLOAD, null);
    }

    /**
     * Serves the exports of {@code resolver}; requests over {@code maxPayload} bytes get an error
     * reply; each connection is added to {@code channels} when not null (for graceful shutdown).
     */
    public NbdChannelInitializer(ExportResolver resolver, int maxPayload, ChannelGroup channels) {
        this(resolver, maxPayload, channels, ConnectionLimits.defaults());
    }

    /** As above, with the server's {@code limits} (bytes in flight, timeouts). */
    public NbdChannelInitializer(ExportResolver resolver, int maxPayload, ChannelGroup channels,
            ConnectionLimits limits) {
        this(resolver, maxPayload, channels, limits, ServerTls.off());
    }

    /** As above, with TLS ({@code NBD_OPT_STARTTLS}) allowed or required per {@code tls}. */
    public NbdChannelInitializer(ExportResolver resolver, int maxPayload, ChannelGroup channels,
            ConnectionLimits limits, ServerTls tls) {
        this.tls = tls;
        if (limits.connectionBytes() < maxPayload) {
            throw new IllegalArgumentException("connection bytes in flight: " + limits.connectionBytes()
                    + " (expected: >= the maximum payload " + maxPayload + ")");
        }
        this.limits = limits;
        if (maxPayload < 4096) {
            throw new IllegalArgumentException("maxPayload: " + maxPayload + " (expected: >= 4096)");
        }
        this.resolver = resolver;
        this.maxPayload = maxPayload;
        this.channels = channels;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (channels != null) {
            channels.add(ch);
        }
        warnings.attach(ch);
        limits.attach(ch);
        tls.attach(ch);
        addHandlers(ch.pipeline(), resolver, maxPayload);
        NbdServerDecoder decoder = ch.pipeline().get(NbdServerDecoder.class);
        ch.pipeline().addFirst("timeouts", new ConnectionTimeouts(limits, decoder::bufferedBytes));
        // replies completed in one event-loop turn (device completions, a ggate reply batch)
        // leave in one write system call instead of one each
        ch.pipeline().addAfter("timeouts", "flush-consolidation", new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
    }

    /** Adds the NBD handlers to {@code pipeline} (for channels set up elsewhere, and for tests). */
    public static void addHandlers(ChannelPipeline pipeline, ExportResolver resolver, int maxPayload) {
        pipeline.addLast("nbd-decoder", new NbdServerDecoder(maxPayload));
        pipeline.addLast("nbd-encoder", new NbdServerEncoder());
        pipeline.addLast("nbd-negotiation", new NbdNegotiationHandler(resolver, maxPayload));
    }
}
