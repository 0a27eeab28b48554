package io.mirrorgate.client.remote;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.protocol.Auth;
import io.mirrorgate.server.protocol.Challenge;
import io.mirrorgate.server.protocol.GgateCodec;
import io.mirrorgate.server.protocol.GgateEndpointHandler;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.protocol.HandshakeAuth;
import io.mirrorgate.server.protocol.Hello;
import io.mirrorgate.server.protocol.Reply;
import io.mirrorgate.server.protocol.Welcome;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client end of one ggate connection: runs the handshake (hello, proof of the key,
 * verification of the server's proof) and completes {@code handshake} with the welcome, or
 * fails it with a {@link RemoteRefusedException} (the server said no) or a plain {@link
 * MirrorgateException} (the network failed). Afterwards it passes replies to its listener.
 */
final class ClientChannelHandler extends GgateEndpointHandler {
    private static final Logger log = LoggerFactory.getLogger(ClientChannelHandler.class);
    /** The first four bytes of an NBD server's greeting, "NBDM" of "NBDMAGIC". */
    private static final int NBD_MAGIC_HIGH = 0x4e42444d;

    /** Receives the replies and the end of an admitted connection. */
    interface Listener {
        void onReply(Channel channel, Reply reply);

        void onClosed(Channel channel, String reason);
    }

    private final Hello hello;
    private final byte[] key;
    private final GgateCodec codec;
    private final Promise<Welcome> handshake;
    private final Listener listener;
    private final String peer;
    private byte[] serverNonce;
    private boolean ready;
    private String closeReason = "connection closed by the server";

    ClientChannelHandler(Hello hello, byte[] key, GgateCodec codec, Promise<Welcome> handshake,
            Listener listener, String peer) {
        this.hello = hello;
        this.key = key;
        this.codec = codec;
        this.handshake = handshake;
        this.listener = listener;
        this.peer = peer;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.writeAndFlush(hello);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (ready && msg instanceof Reply reply) {
            listener.onReply(ctx.channel(), reply);
        } else if (!ready && serverNonce == null && msg instanceof Challenge c) {
            if (c.version() != GgateProtocol.VERSION) {
                fail(ctx, new RemoteRefusedException(ErrorCode.EPROTO, peer + " speaks ggate version "
                        + c.version() + " (expected: " + GgateProtocol.VERSION + ")"));
                return;
            }
            serverNonce = c.serverNonce();
            ctx.writeAndFlush(new Auth(HandshakeAuth.clientProof(key, hello, serverNonce)));
        } else if (!ready && msg instanceof Welcome w) {
            onWelcome(ctx, w);
        } else {
            ReferenceCountUtil.release(msg);
            protocolError(ctx, "unexpected " + msg.getClass().getSimpleName()
                    + (ready ? " after the handshake" : " during the handshake"));
        }
    }

    private void onWelcome(ChannelHandlerContext ctx, Welcome w) {
        if (w.error() != ErrorCode.OK) {
            fail(ctx, new RemoteRefusedException(w.error(), peer + " refused export "
                    + hello.exportName() + ": " + w.reason() + " (" + w.error() + ")"));
            return;
        }
        if (serverNonce == null
                || !HandshakeAuth.matches(HandshakeAuth.serverProof(key, hello, serverNonce),
                        w.serverProof())) {
            fail(ctx, new RemoteRefusedException(ErrorCode.EACCES, peer
                    + " failed to prove that it knows the shared key (wrong server or wrong key)"));
            return;
        }
        if ((w.features() & ~hello.features()) != 0) {
            protocolError(ctx, "server enabled features " + w.features()
                    + " (expected: within " + hello.features() + ")");
            return;
        }
        if ((w.features() & GgateProtocol.FEATURE_LZ4) != 0) {
            codec.enableCompression();
        }
        ready = true;
        handshake.trySuccess(w);
    }

    private void fail(ChannelHandlerContext ctx, MirrorgateException failure) {
        closeReason = failure.getMessage();
        handshake.tryFailure(failure);
        ctx.channel().close();
    }

    private void protocolError(ChannelHandlerContext ctx, String reason) {
        if (!ready && reason != null && reason.contains(String.format("magic: 0x%08x", NBD_MAGIC_HIGH))) {
            log.warn("not a ggate-server but an NBD server, closing peer={}", peer);
            fail(ctx, new MirrorgateException(ErrorCode.EPROTO, peer + " is an NBD server, not a"
                    + " ggate-server (expected: the ggate port, 3080 by default; for NBD use an NBD"
                    + " client, e.g. nbdinfo nbd://" + peer + "/NAME)"));
            return;
        }
        log.warn("ggate protocol violation by the server, closing peer={} reason=\"{}\"", peer, reason);
        fail(ctx, new MirrorgateException(ErrorCode.EPROTO,
                "protocol violation by " + peer + ": " + reason));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        handshake.tryFailure(new MirrorgateException(ErrorCode.ECONNREFUSED,
                peer + " closed the connection during the handshake"));
        if (ready) {
            listener.onClosed(ctx.channel(), closeReason);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (partialFrameAtClose(ctx, cause)) {
            log.debug("ggate partial reply discarded at close peer={}: {}", peer, cause.getMessage());
            return;
        }
        if (cause instanceof DecoderException && cause.getCause() instanceof javax.net.ssl.SSLException tls) {
            // a refused certificate: retried slowly like any refused handshake
            closeReason = "TLS handshake with " + peer + " failed: " + tls.getMessage();
            log.warn("ggate TLS failed peer={} reason=\"{}\"", peer, tls.getMessage());
            fail(ctx, new RemoteRefusedException(ErrorCode.EACCES, closeReason));
            return;
        }
        if (cause instanceof DecoderException) {
            protocolError(ctx, cause.getMessage());
            return;
        }
        log.debug("ggate connection error peer={}: {}", peer, cause.toString());
        closeReason = "connection to " + peer + " failed: " + MirrorgateException.messageOf(cause);
        handshake.tryFailure(new MirrorgateException(ErrorCode.EIO, closeReason, cause));
        ctx.channel().close();
    }
}
