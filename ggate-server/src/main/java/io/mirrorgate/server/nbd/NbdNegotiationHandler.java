package io.mirrorgate.server.nbd;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.FLAG_FIXED_NEWSTYLE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.FLAG_NO_ZEROES;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.MAX_STRING;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.nbdprotocol.NbdMessages;
import io.mirrorgate.server.nbdprotocol.NbdServerDecoder;
import io.mirrorgate.common.lifecycle.GracefulShutdown;
import io.mirrorgate.common.error.ClientRefusal;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.export.ExportResolver;
import io.mirrorgate.server.protocol.PhasedReceiveAllocator;
import io.mirrorgate.server.protocol.SocketTuning;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.guard.Drain;
import io.mirrorgate.server.guard.LogText;
import io.mirrorgate.server.guard.PeerWarnings;
import io.mirrorgate.server.tls.ServerTls;
import io.mirrorgate.server.tls.TlsMode;
import io.mirrorgate.server.nbdprotocol.NbdMessages.ClientFlags;
import io.mirrorgate.server.nbdprotocol.NbdMessages.ExportNameReply;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Greeting;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Option;
import io.mirrorgate.server.nbdprotocol.NbdMessages.OptionReply;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.handler.ssl.SslHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The option haggling of fixed newstyle NBD: sends the greeting, checks the client flags, answers
 * NBD_OPT_LIST, INFO, GO, EXPORT_NAME, STRUCTURED_REPLY, LIST_META_CONTEXT, SET_META_CONTEXT
 * ({@link NbdMetaContexts}), STARTTLS and ABORT (anything else gets
 * NBD_REP_ERR_UNSUP), closes a client that has not finished within {@link
 * NbdConstants#HANDSHAKE_TIMEOUT_SECONDS}, and on GO or EXPORT_NAME replaces itself with an {@link
 * NbdTransmissionHandler} for the chosen export.
 */
public final class NbdNegotiationHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(NbdNegotiationHandler.class);

    private final ExportResolver resolver;
    private final int maxPayload;
    private boolean greeted;
    /** The channel's reads: option haggling, then transmission (set when greeting). */
    private PhasedReceiveAllocator phases;
    private ScheduledFuture<?> timeout;
    private boolean flagsReceived;
    private boolean noZeroes;
    private boolean structured;
    private boolean tlsStarted;
    /** The export name NBD_OPT_SET_META_CONTEXT selected base:allocation for, or null. */
    private String allocationContextFor;

    /**
     * Options one connection may send: far more than a client needs (nbdinfo --list sends two per
     * export), far fewer than a flood of NBD_OPT_INFO that would keep an event loop busy.
     */
    static final int MAX_OPTIONS = 1024;
    /**
     * While options are haggled, one socket read of at most this much per turn of the event
     * loop: a client flooding options gets no more of the loop than one that sends one option.
     */
    private static final int OPTION_READ_BYTES = 4096;

    private int options;
    /** The channel's receive allocator, given back when transmission starts. */

    public NbdNegotiationHandler(ExportResolver resolver, int maxPayload) {
        this.resolver = resolver;
        this.maxPayload = maxPayload;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            greet(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        greet(ctx);
        ctx.fireChannelActive();
    }

    private void greet(ChannelHandlerContext ctx) {
        if (!greeted) {
            greeted = true;
            // one small read per turn while options are haggled, then (startTransmission) large
            // reads, a WRITE's payload landing in its own buffer: one handle for both phases, as
            // Netty keeps a channel's first receive handle
            phases = new PhasedReceiveAllocator(
                    new FixedRecvByteBufAllocator(OPTION_READ_BYTES).maxMessagesPerRead(1),
                    ctx.pipeline().get(NbdServerDecoder.class)
                            .receiveAllocator(SocketTuning.receiveAllocator()));
            ctx.channel().config().setRecvByteBufAllocator(phases);
            ctx.writeAndFlush(new Greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES));
            timeout = ctx.executor().schedule(() -> NbdErrors.closeOnFailure(ctx,
                    new MirrorgateException(ErrorCode.ETIMEDOUT, "option haggling not finished within "
                            + NbdConstants.HANDSHAKE_TIMEOUT_SECONDS + " s"), LOG),
                    NbdConstants.HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** Leaving the pipeline (transmission starts, or the channel closes) ends the time limit. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof ClientFlags flags) {
                clientFlags(ctx, flags.flags());
            } else if (msg instanceof Option option) {
                option(ctx, option);
            } else {
                throw new IllegalStateException("unexpected message during option haggling: " + msg);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
        if (ctx.pipeline().context(this) != null && !ctx.channel().isWritable()) {
            // the client does not read its option replies: stop reading its options
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    private void clientFlags(ChannelHandlerContext ctx, int flags) {
        int unknown = flags & ~NbdConstants.KNOWN_CLIENT_FLAGS;
        if (unknown != 0) {
            NbdErrors.closeOnFailure(ctx, new MirrorgateException(ErrorCode.EPROTO, String.format(
                    "client flags: 0x%08x (unknown bits 0x%08x)", flags, unknown)), LOG);
            return;
        }
        flagsReceived = true;
        noZeroes = (flags & FLAG_NO_ZEROES) != 0;
    }

    private void option(ChannelHandlerContext ctx, Option option) {
        if (!flagsReceived || !ctx.channel().isActive()) {
            return;
        }
        int code = option.option();
        ByteBuf data = option.content();
        if (++options > MAX_OPTIONS) {
            NbdErrors.closeOnFailure(ctx, new MirrorgateException(ErrorCode.EPROTO, "more than "
                    + MAX_OPTIONS + " options on one connection"), LOG);
            return;
        }
        ServerTls tls = ServerTls.of(ctx.channel());
        if (code == NbdConstants.OPT_STARTTLS) {
            startTls(ctx, tls, data);
            return;
        }
        if (tls.mode() == TlsMode.REQUIRE && !tlsStarted && code != NbdConstants.OPT_ABORT) {
            if (code == NbdConstants.OPT_EXPORT_NAME) {
                // no error reply exists for NBD_OPT_EXPORT_NAME: the protocol says close
                NbdErrors.closeOnFailure(ctx, new MirrorgateException(ErrorCode.EACCES,
                        "NBD_OPT_EXPORT_NAME without TLS, and this server requires TLS"), LOG);
            } else {
                NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_TLS_REQD,
                        "this server requires TLS: send NBD_OPT_STARTTLS first");
            }
            return;
        }
        switch (code) {
            case NbdConstants.OPT_EXPORT_NAME -> exportName(ctx, data.toString(StandardCharsets.UTF_8));
            case NbdConstants.OPT_ABORT -> ctx.writeAndFlush(new OptionReply(code, NbdConstants.REP_ACK))
                    .addListener(ChannelFutureListener.CLOSE);
            case NbdConstants.OPT_LIST -> list(ctx, data);
            case NbdConstants.OPT_INFO, NbdConstants.OPT_GO -> infoOrGo(ctx, code, data);
            case NbdConstants.OPT_STRUCTURED_REPLY -> {
                if (data.isReadable()) {
                    NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_INVALID,
                            "NBD_OPT_STRUCTURED_REPLY carries no data");
                } else {
                    structured = true;
                    NbdOptionReplies.ack(ctx, code);
                }
            }
            case NbdConstants.OPT_LIST_META_CONTEXT, NbdConstants.OPT_SET_META_CONTEXT ->
                    metaContext(ctx, code, data);
            default -> NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_UNSUP,
                    "option " + code + " is not supported by this server");
        }
    }

    /**
     * NBD_OPT_STARTTLS: acknowledged in clear, then the TLS handler goes first in the pipeline
     * and the client's ClientHello follows. Refused when TLS is off, already on, or the option
     * carries data.
     */
    private void startTls(ChannelHandlerContext ctx, ServerTls tls, ByteBuf data) {
        int code = NbdConstants.OPT_STARTTLS;
        if (!tls.enabled()) {
            NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_UNSUP, "TLS is not configured on this server");
        } else if (tlsStarted) {
            NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_INVALID, "TLS is already on");
        } else if (data.isReadable()) {
            NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_INVALID, "NBD_OPT_STARTTLS carries no data");
        } else {
            tlsStarted = true;
            NbdOptionReplies.ack(ctx, code);
            // the acknowledgement is already queued in clear: from here on, everything is TLS
            ctx.pipeline().addFirst("tls", tls.newHandler(ctx.channel(), false,
                    ConnectionLimits.of(ctx.channel()).drainTimeout()));
        }
    }

    /** NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT (structured replies first). */
    private void metaContext(ChannelHandlerContext ctx, int code, ByteBuf data) {
        boolean list = code == NbdConstants.OPT_LIST_META_CONTEXT;
        if (!structured) {
            NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_INVALID,
                    "metadata contexts need structured replies (NBD_OPT_STRUCTURED_REPLY) first");
            return;
        }
        NbdMetaContexts.Query query;
        try {
            query = NbdMetaContexts.parse(data);
        } catch (NbdMetaContexts.Invalid e) {
            NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_INVALID, e.getMessage());
            return;
        }
        try {
            resolve(ctx, query.exportName());
        } catch (MirrorgateException e) {
            NbdOptionReplies.error(ctx, code, NbdOptionReplies.refusal(e.code()), e.getMessage());
            return;
        }
        List<String> selected = NbdMetaContexts.select(query.queries(), list);
        if (!list) {
            allocationContextFor = selected.isEmpty() ? null : query.exportName();
        }
        for (String context : selected) {
            NbdOptionReplies.metaContext(ctx, code, list ? 0 : NbdConstants.CONTEXT_ID_ALLOCATION, context);
        }
        NbdOptionReplies.ack(ctx, code);
    }

    private void list(ChannelHandlerContext ctx, ByteBuf data) {
        if (data.isReadable()) {
            NbdOptionReplies.error(ctx, NbdConstants.OPT_LIST, NbdConstants.REP_ERR_INVALID, "NBD_OPT_LIST carries no data");
            return;
        }
        for (String name : resolver.list(NbdErrors.clientAddress(ctx))) {
            NbdOptionReplies.server(ctx, name);
        }
        NbdOptionReplies.ack(ctx, NbdConstants.OPT_LIST);
    }

    /**
     * NBD_OPT_INFO and NBD_OPT_GO data: {@code u32 name length, name, u16 n, n x u16 info type}.
     */
    private void infoOrGo(ChannelHandlerContext ctx, int code, ByteBuf data) {
        if (data.readableBytes() < 6) {
            NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_INVALID, "option length: " + data.readableBytes()
                    + " (expected: >= 6)");
            return;
        }
        long nameLength = data.readUnsignedInt();
        if (nameLength > MAX_STRING || nameLength > data.readableBytes() - 2) {
            NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_INVALID, "export name length: " + nameLength
                    + " (expected: <= " + Math.min(MAX_STRING, data.readableBytes() - 2) + ")");
            return;
        }
        String name = data.readCharSequence((int) nameLength, StandardCharsets.UTF_8).toString();
        int count = data.readUnsignedShort();
        if (data.readableBytes() != 2 * count) {
            NbdOptionReplies.error(ctx, code, NbdConstants.REP_ERR_INVALID, "information requests: " + count
                    + " announced, " + data.readableBytes() + " bytes follow (expected: " + 2 * count + ")");
            return;
        }
        Set<Integer> requested = new HashSet<>();
        for (int i = 0; i < count; i++) {
            requested.add(data.readUnsignedShort());
        }
        Export export;
        try {
            export = resolve(ctx, name);
        } catch (MirrorgateException e) {
            if (PeerWarnings.permit(ctx.channel()) >= 0) {
                LOG.info("nbd export refused peer={} export=\"{}\" reason=\"{}\"",
                        ctx.channel().remoteAddress(), LogText.escape(name),
                        LogText.escape(ClientRefusal.detailOf(e)));
            }
            NbdOptionReplies.error(ctx, code, NbdOptionReplies.refusal(e.code()), e.getMessage());
            return;
        }
        NbdOptionReplies.exportInfo(ctx, code, export, NbdTransmissionHandler.transmissionFlags(export, structured),
                requested, maxPayload);
        NbdOptionReplies.ack(ctx, code);
        if (code == NbdConstants.OPT_GO) {
            startTransmission(ctx, export, name);
        }
    }

    private void exportName(ChannelHandlerContext ctx, String name) {
        Export export;
        try {
            export = resolve(ctx, name);
        } catch (MirrorgateException e) {
            // NBD_OPT_EXPORT_NAME has no error reply: the protocol says close.
            NbdErrors.closeOnFailure(ctx, e, LOG);
            return;
        }
        ctx.writeAndFlush(new ExportNameReply(export.device().size(),
                NbdTransmissionHandler.transmissionFlags(export, structured), !noZeroes));
        startTransmission(ctx, export, name);
    }

    private Export resolve(ChannelHandlerContext ctx, String name) {
        String chosen = name.isEmpty() ? resolver.defaultName(NbdErrors.clientAddress(ctx)) : name;
        if (chosen == null) {
            throw new MirrorgateException(ErrorCode.ENOENT,
                    "no default export: name one (see NBD_OPT_LIST)");
        }
        return resolver.resolve(chosen, NbdErrors.clientAddress(ctx));
    }

    /** {@code requestedName}: as the client named it (meta contexts were set for a name). */
    private void startTransmission(ChannelHandlerContext ctx, Export export, String requestedName) {
        boolean allocation = structured && requestedName.equals(allocationContextFor);
        LOG.info("nbd transmission peer={} export=\"{}\" access={} structured={} allocation={}",
                ctx.channel().remoteAddress(), LogText.escape(export.name()), export.access(),
                structured, allocation);
        NbdServerDecoder decoder = ctx.pipeline().get(NbdServerDecoder.class);
        decoder.startTransmission();
        // a WRITE's payload read straight into its own buffer (not with TLS: socket reads then
        // carry records, not frames)
        decoder.lendReads(ctx.pipeline().get(SslHandler.class) == null);
        phases.advance();
        ctx.pipeline().replace(this, "nbd-transmission",
                new NbdTransmissionHandler(export, structured, allocation, maxPayload));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == GracefulShutdown.EVENT) {
            ctx.channel().config().setAutoRead(false);
            Drain.close(ctx.channel(), ConnectionLimits.of(ctx.channel()).drainTimeout());
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        NbdErrors.closeOnFailure(ctx, cause, LOG);
    }
}
