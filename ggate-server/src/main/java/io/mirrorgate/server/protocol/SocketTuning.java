package io.mirrorgate.server.protocol;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;

/**
 * Socket settings that both ends of a ggate connection use. Reads grow up to {@value #MAX_READ}
 * bytes (Netty's default stops at 64 KiB), so a 1 MiB frame arrives in a few reads instead of
 * sixteen. The socket buffers are left to the kernel's autotuning, which grows them further
 * than an explicit {@code SO_RCVBUF}/{@code SO_SNDBUF} may (those are capped by {@code
 * net.core.rmem_max}/{@code wmem_max} and switch autotuning off).
 */
public final class SocketTuning {
    /** The largest single socket read; {@link FrameCumulator} keeps that much room after a frame. */
    public static final int MAX_READ = 256 * 1024;

    private SocketTuning() {}

    /** Socket reads that grow up to {@value #MAX_READ} bytes (also the NBD server's, in transmission). */
    public static RecvByteBufAllocator receiveAllocator() {
        return new AdaptiveRecvByteBufAllocator(64, 2048, MAX_READ);
    }

    /**
     * Applies the settings to a ggate channel whose pipeline has {@code codec}, before it is
     * active; large frames are then read straight into their own buffer ({@link
     * GgateCodec#receiveAllocator}).
     */
    public static void apply(ChannelConfig config, GgateCodec codec) {
        apply(config, codec, false);
    }

    /**
     * As {@link #apply(ChannelConfig, GgateCodec)}; with {@code tls}, socket reads carry
     * ciphertext for the TLS handler, so they are not lent the frame's buffer.
     */
    public static void apply(ChannelConfig config, GgateCodec codec, boolean tls) {
        config.setOption(ChannelOption.TCP_NODELAY, true);
        RecvByteBufAllocator reads = receiveAllocator();
        config.setRecvByteBufAllocator(tls ? reads : codec.receiveAllocator(reads));
    }
}
