package io.mirrorgate.server.nbd;

import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.guard.PeerWarnings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;

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

    /** Serves the exports of {@code resolver} with the default 32 MiB maximum payload. */
    public NbdChannelInitializer(ExportResolver resolver) {
        this(resolver, NbdConstants.DEFAULT_MAX_PAYLOAD, null);
    }

    /**
     * Serves the exports of {@code resolver}; requests over {@code maxPayload} bytes get an error
     * reply; each connection is added to {@code channels} when not null (for graceful shutdown).
     */
    public NbdChannelInitializer(ExportResolver resolver, int maxPayload, ChannelGroup channels) {
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
        addHandlers(ch.pipeline(), resolver, maxPayload);
    }

    /** Adds the NBD handlers to {@code pipeline} (for channels set up elsewhere, and for tests). */
    public static void addHandlers(ChannelPipeline pipeline, ExportResolver resolver, int maxPayload) {
        pipeline.addLast("nbd-decoder", new NbdServerDecoder(maxPayload));
        pipeline.addLast("nbd-encoder", new NbdServerEncoder());
        pipeline.addLast("nbd-negotiation", new NbdNegotiationHandler(resolver, maxPayload));
    }
}
