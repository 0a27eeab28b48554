package io.mirrorgate.server.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import java.time.Duration;

/**
 * A server's TLS: the mode and the context (null when off). Its protocol handlers find it on
 * their channel through {@link #ATTRIBUTE} (NBD's STARTTLS, for example).
 */
public final class ServerTls {
    /** The channel attribute through which a server's handlers find its TLS. */
    public static final AttributeKey<ServerTls> ATTRIBUTE = AttributeKey.valueOf(ServerTls.class, "tls");
    private static final ServerTls OFF = new ServerTls(TlsMode.OFF, null);

    private final TlsMode mode;
    private final SslContext context;

    private ServerTls(TlsMode mode, SslContext context) {
        this.mode = mode;
        this.context = context;
    }

    /** No TLS. */
    public static ServerTls off() {
        return OFF;
    }

    /** {@code mode} with the server context of {@code files} (which must be given unless off). */
    public static ServerTls of(TlsMode mode, TlsFiles files) {
        if (mode == TlsMode.OFF) {
            return OFF;
        }
        if (files == null) {
            throw new IllegalArgumentException("tls " + mode + " needs a certificate, a key and a CA"
                    + " (expected: --tls-cert, --tls-key and --tls-ca)");
        }
        return new ServerTls(mode, files.serverContext());
    }

    public TlsMode mode() {
        return mode;
    }

    public boolean enabled() {
        return mode != TlsMode.OFF;
    }

    /** A new server-side handler for {@code ch}; {@code startTls}: the next write still goes in clear. */
    public SslHandler newHandler(Channel ch, boolean startTls, Duration closeNotifyTimeout) {
        SslHandler handler = new SslHandler(context.newEngine(ch.alloc()), startTls);
        handler.setCloseNotifyFlushTimeoutMillis(closeNotifyTimeout.toMillis());
        return handler;
    }

    public SslContext context() {
        return context;
    }

    /** Sets this TLS on one of the server's channels. */
    public void attach(Channel ch) {
        ch.attr(ATTRIBUTE).set(this);
    }

    /** The TLS attached to {@code ch}, or off. */
    public static ServerTls of(Channel ch) {
        ServerTls tls = ch.attr(ATTRIBUTE).get();
        return tls == null ? OFF : tls;
    }

    @Override
    public String toString() {
        return mode.toString();
    }
}
