package io.mirrorgate.server.ggate;

import io.mirrorgate.common.lifecycle.GracefulShutdown;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ClientRefusal;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Access;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ReplicationEndpoint;
import io.mirrorgate.server.guard.ByteBudget;
import io.mirrorgate.server.guard.LogText;
import io.mirrorgate.server.guard.PeerWarnings;
import io.mirrorgate.server.protocol.Auth;
import io.mirrorgate.server.protocol.Challenge;
import io.mirrorgate.server.protocol.GgateCodec;
import io.mirrorgate.server.protocol.GgateEndpointHandler;
import io.mirrorgate.server.protocol.GgateProtocol;
import io.mirrorgate.server.protocol.HandshakeAuth;
import io.mirrorgate.server.protocol.Hello;
import io.mirrorgate.server.protocol.Welcome;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ggate connection on the server: authenticates the client (HMAC challenge-response),
 * resolves and admits it to an export (access and fencing), then hands requests to a {@link
 * RequestDispatcher}. A protocol violation closes this channel only and is logged once with
 * the peer's address. Not sharable: one instance per channel.
 */
public final class GgateServerHandler extends GgateEndpointHandler {
    private static final Logger log = LoggerFactory.getLogger(GgateServerHandler.class);

    private enum Phase { HELLO, AUTH, ADMITTING, READY, CLOSED }

    private final GgateServerConfig config;
    private final byte[] key;
    private final ExportStateStore store;
    private final SessionRegistry sessions;
    private final GgateCodec codec;
    private Phase phase = Phase.HELLO;
    private Hello hello;
    private byte[] serverNonce;
    private String peer = "?";
    private RequestDispatcher dispatcher;
    private ReplicationEndpoint.Session session;
    private Export admittedExport;
    private ScheduledFuture<?> handshakeTimer;
    private boolean violationLogged;

    GgateServerHandler(GgateServerConfig config, ExportStateStore store, SessionRegistry sessions,
            GgateCodec codec) {
        this.config = config;
        this.key = config.key();
        this.store = store;
        this.sessions = sessions;
        this.codec = codec;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        peer = String.valueOf(ctx.channel().remoteAddress());
        long nanos = config.handshakeTimeout().toNanos();
        handshakeTimer = ctx.executor().schedule(() -> {
            if (phase == Phase.HELLO || phase == Phase.AUTH || phase == Phase.ADMITTING) {
                log.info("ggate handshake timed out, closing peer={} timeout={}",
                        peer, config.handshakeTimeout());
                phase = Phase.CLOSED;
                ctx.close();
            }
        }, nanos, TimeUnit.NANOSECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.READY && msg instanceof io.mirrorgate.server.protocol.Request r) {
            dispatcher.handle(r);
        } else if (phase == Phase.HELLO && msg instanceof Hello h) {
            onHello(ctx, h);
        } else if (phase == Phase.AUTH && msg instanceof Auth a) {
            onAuth(ctx, a);
        } else {
            ReferenceCountUtil.release(msg);
            if (phase != Phase.CLOSED) {
                violation(ctx, "unexpected " + msg.getClass().getSimpleName()
                        + " during " + phase);
            }
        }
    }

    private void onHello(ChannelHandlerContext ctx, Hello h) {
        hello = h;
        if (h.version() != GgateProtocol.VERSION) {
            refuse(ctx, ErrorCode.EPROTO, "protocol version " + h.version()
                    + " is not supported (expected: " + GgateProtocol.VERSION + ")");
            return;
        }
        serverNonce = HandshakeAuth.nonce();
        phase = Phase.AUTH;
        ctx.writeAndFlush(new Challenge(GgateProtocol.VERSION, serverNonce));
    }

    private void onAuth(ChannelHandlerContext ctx, Auth auth) {
        if (!HandshakeAuth.matches(HandshakeAuth.clientProof(key, hello, serverNonce), auth.proof())) {
            long suppressed = PeerWarnings.permit(ctx.channel());
            if (suppressed >= 0) {
                log.warn("ggate authentication failed peer={} node=\"{}\" export=\"{}\" suppressed={}",
                        peer, LogText.escape(hello.nodeId()), LogText.escape(hello.exportName()),
                        suppressed);
            }
            refuse(ctx, ErrorCode.EACCES,
                    "authentication failed: the client's key does not match the server's key");
            return;
        }
        Export export;
        try {
            export = config.resolver().resolve(hello.exportName(), peerAddress(ctx));
        } catch (MirrorgateException e) {
            refuse(ctx, e.code(), e.getMessage(), ClientRefusal.detailOf(e));
            return;
        } catch (RuntimeException e) {
            log.warn("ggate export lookup failed peer={} export=\"{}\"", peer,
                    LogText.escape(hello.exportName()), e);
            refuse(ctx, ErrorCode.EIO, "export lookup failed");
            return;
        }
        Access asked = hello.access();
        if (!export.access().permits(asked)) {
            refuse(ctx, ErrorCode.EACCES, "export " + export.name() + " is " + export.access()
                    + " for this client, " + asked + " was requested");
            return;
        }
        if (asked.canWrite() && export.device().isReadOnly()) {
            refuse(ctx, ErrorCode.EACCES, "export " + export.name()
                    + " is on a read-only device, " + asked + " was requested");
            return;
        }
        phase = Phase.ADMITTING;
        CompletableFuture<ExportStateStore.ExportState> admission;
        ReplicationEndpoint.Session candidate = null;
        if (export.replication() != null) {
            // the node id reaches the replicator's logs: escaped (a real one has nothing to escape)
            candidate = new ChannelSession(ctx.channel(), peer, LogText.escape(hello.nodeId()),
                    hello.epoch());
            ReplicationEndpoint.Session s = candidate;
            admission = callEndpoint(() -> export.replication().admit(s))
                    .thenApply(a -> new ExportStateStore.ExportState(a.highestEpoch(), a.generation()));
        } else {
            admission = store.admit(export.device().identity(), export.name(), hello.epoch());
        }
        ReplicationEndpoint.Session s = candidate;
        admission.whenComplete((state, failure) ->
                onLoop(ctx, () -> admitted(ctx, export, s, state, failure)));
    }

    private static <T> CompletableFuture<T> callEndpoint(Supplier<CompletableFuture<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void admitted(ChannelHandlerContext ctx, Export export, ReplicationEndpoint.Session s,
            ExportStateStore.ExportState state, Throwable failure) {
        if (failure == null && s != null) {
            session = s;
        }
        if (phase != Phase.ADMITTING) {
            endSession(export);
            return;
        }
        if (failure != null) {
            refuse(ctx, MirrorgateException.codeOf(failure), MirrorgateException.messageOf(failure));
            return;
        }
        sessions.supersede(export.device().identity(), hello.session()).whenComplete((superseded, e) ->
                onLoop(ctx, () -> welcome(ctx, export, state, superseded)));
    }

    private void welcome(ChannelHandlerContext ctx, Export export,
            ExportStateStore.ExportState state, Integer superseded) {
        if (phase != Phase.ADMITTING) {
            return;
        }
        int features = hello.features() & config.features();
        if (export.replication() == null) {
            features &= ~GgateProtocol.FEATURE_PEER;
        }
        if ((features & GgateProtocol.FEATURE_LZ4) != 0) {
            codec.enableCompression();
        }
        codec.handshakeDone();
        BlockDevice device = export.device();
        dispatcher = new RequestDispatcher(ctx, export, hello.access(), hello.epoch(), store,
                session, config.maxRequestSize(), config.maxInFlight(), config.limits(), peer);
        admittedExport = export;
        sessions.register(export.device().identity(), hello.session(), dispatcher);
        phase = Phase.READY;
        handshakeTimer.cancel(false);
        ctx.writeAndFlush(new Welcome(ErrorCode.OK, "", features, device.size(),
                device.blockSize(), config.maxRequestSize(), state.generation(),
                state.highestEpoch(), HandshakeAuth.serverProof(key, hello, serverNonce)));
        log.info("ggate client admitted peer={} export=\"{}\" access={} node=\"{}\" epoch={}"
                + " features={} supersededConnections={}", peer, LogText.escape(export.name()),
                hello.access(), LogText.escape(hello.nodeId()), Long.toUnsignedString(hello.epoch()),
                features, superseded == null ? 0 : superseded);
    }

    private void refuse(ChannelHandlerContext ctx, ErrorCode code, String reason) {
        refuse(ctx, code, reason, reason);
    }

    /** Sends {@code reason} to the client and logs {@code detail} (rate-limited per peer). */
    private void refuse(ChannelHandlerContext ctx, ErrorCode code, String reason, String detail) {
        long suppressed = PeerWarnings.permit(ctx.channel());
        if (suppressed >= 0) {
            log.info("ggate client refused peer={} export=\"{}\" node=\"{}\" error={} reason=\"{}\""
                    + " suppressed={}", peer, LogText.escape(hello == null ? "" : hello.exportName()),
                    LogText.escape(hello == null ? "" : hello.nodeId()), code, LogText.escape(detail),
                    suppressed);
        }
        phase = Phase.CLOSED;
        ctx.writeAndFlush(Welcome.refusal(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Tells the replication endpoint, once, that the admitted connection is gone. */
    private void endSession(Export export) {
        ReplicationEndpoint.Session s = session;
        session = null;
        if (s != null && export != null && export.replication() != null) {
            try {
                export.replication().ended(s);
            } catch (RuntimeException e) {
                log.warn("replication endpoint failed to end a session peer={} export={}", peer,
                        export.name(), e);
            }
        }
    }

    private InetAddress peerAddress(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress inet) {
            return inet.getAddress();
        }
        throw new MirrorgateException(ErrorCode.EACCES,
                "peer " + peer + " has no IP address, no export can admit it");
    }

    private static void onLoop(ChannelHandlerContext ctx, Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            try {
                ctx.executor().execute(task);
            } catch (RejectedExecutionException e) {
                log.debug("event loop gone, dropping handshake step", e);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (phase == Phase.READY) {
            dispatcher.resume();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ByteBudget.Freed.EVENT) {
            if (phase == Phase.READY) {
                dispatcher.resume();
            }
            return;
        }
        if (evt == GracefulShutdown.EVENT) {
            if (phase == Phase.READY) {
                dispatcher.drain("server shutting down");
            } else if (phase != Phase.CLOSED) {
                phase = Phase.CLOSED;
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (phase == Phase.READY) {
            log.info("ggate client disconnected peer={} export=\"{}\" inFlight={}",
                    peer, LogText.escape(hello.exportName()), dispatcher.inFlight());
        }
        if (dispatcher != null) {
            dispatcher.channelClosed();
        }
        endSession(admittedExport);
        phase = Phase.CLOSED;
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (partialFrameAtClose(ctx, cause)) {
            log.debug("ggate partial frame discarded at close peer={}: {}", peer, cause.getMessage());
        } else if (cause instanceof DecoderException) {
            violation(ctx, cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("ggate connection error peer={}: {}", peer, cause.toString());
            ctx.close();
        } else {
            if (PeerWarnings.permit(ctx.channel()) >= 0) {
                log.warn("ggate connection failed, closing peer={}", peer, cause);
            }
            ctx.close();
        }
    }

    private void violation(ChannelHandlerContext ctx, String reason) {
        if (!violationLogged) {
            violationLogged = true;
            long suppressed = PeerWarnings.permit(ctx.channel());
            if (suppressed >= 0) {
                log.warn("ggate protocol violation, closing peer={} export=\"{}\" reason=\"{}\""
                        + " suppressed={}", peer, LogText.escape(hello == null ? "" : hello.exportName()),
                        LogText.escape(reason), suppressed);
            } else {
                log.debug("ggate protocol violation, closing peer={} reason=\"{}\"", peer,
                        LogText.escape(reason));
            }
        }
        phase = Phase.CLOSED;
        ctx.close();
    }
}
