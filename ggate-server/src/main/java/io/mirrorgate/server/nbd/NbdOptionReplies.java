package io.mirrorgate.server.nbd;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.INFO_BLOCK_SIZE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.INFO_DESCRIPTION;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.INFO_EXPORT;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.INFO_NAME;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.nbdprotocol.NbdMessages;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.nbdprotocol.NbdMessages.OptionReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The option replies of the haggling phase, as {@link NbdNegotiationHandler} writes them: the
 * acknowledgement, an error with its message, an NBD_OPT_LIST entry, a metadata context, and the
 * information replies of NBD_OPT_INFO and NBD_OPT_GO.
 */
final class NbdOptionReplies {
    private NbdOptionReplies() {}

    /** NBD_REP_ACK to option {@code code}, flushed. */
    static void ack(ChannelHandlerContext ctx, int code) {
        ctx.writeAndFlush(new OptionReply(code, NbdConstants.REP_ACK));
    }

    /** An error reply {@code type} to option {@code code}, with {@code message} (truncated). */
    static void error(ChannelHandlerContext ctx, int code, int type, String message) {
        ctx.writeAndFlush(new OptionReply(code, type,
                Unpooled.copiedBuffer(NbdErrors.truncate(message), StandardCharsets.UTF_8)));
    }

    /** The error reply that says why an export was refused. */
    static int refusal(ErrorCode code) {
        return switch (code) {
            case EACCES, EPERM -> NbdConstants.REP_ERR_POLICY;
            case ESHUTDOWN -> NbdConstants.REP_ERR_SHUTDOWN;
            default -> NbdConstants.REP_ERR_UNKNOWN;
        };
    }

    /** One NBD_REP_SERVER of NBD_OPT_LIST: the export's name (not flushed). */
    static void server(ChannelHandlerContext ctx, String name) {
        ByteBuf reply = ctx.alloc().buffer();
        reply.writeInt(ByteBufUtil.utf8Bytes(name));
        reply.writeCharSequence(name, StandardCharsets.UTF_8);
        ctx.write(new OptionReply(NbdConstants.OPT_LIST, NbdConstants.REP_SERVER, reply));
    }

    /** One NBD_REP_META_CONTEXT: {@code context} with its {@code id} (not flushed). */
    static void metaContext(ChannelHandlerContext ctx, int code, int id, String context) {
        ByteBuf reply = ctx.alloc().buffer();
        reply.writeInt(id);
        reply.writeCharSequence(context, StandardCharsets.UTF_8);
        ctx.write(new OptionReply(code, NbdConstants.REP_META_CONTEXT, reply));
    }

    /**
     * The information replies about {@code export} (not flushed): its size and transmission
     * {@code flags}, its name and description when {@code requested}, and its block sizes always
     * (the real minimum: unaligned requests get EINVAL), the maximum below {@code maxPayload}.
     */
    static void exportInfo(ChannelHandlerContext ctx, int code, Export export, int flags,
            Set<Integer> requested, int maxPayload) {
        info(ctx, code, INFO_EXPORT, b -> b.writeLong(export.device().size()).writeShort(flags));
        if (requested.contains(INFO_NAME)) {
            info(ctx, code, INFO_NAME, b -> b.writeCharSequence(export.name(), StandardCharsets.UTF_8));
        }
        if (requested.contains(INFO_DESCRIPTION)) {
            // the export's name as the client asked for it: no server path
            String description = NbdErrors.truncate("Mirrorgate export " + export.name()
                    + " (" + export.access() + ")");
            info(ctx, code, INFO_DESCRIPTION, b -> b.writeCharSequence(description, StandardCharsets.UTF_8));
        }
        int blockSize = export.device().blockSize();
        int minimum = blockSize;
        int maximum = maxPayload - maxPayload % blockSize;
        info(ctx, code, INFO_BLOCK_SIZE, b -> b.writeInt(minimum)
                .writeInt(Math.max(blockSize, NbdConstants.PREFERRED_BLOCK_SIZE)).writeInt(maximum));
    }

    private static void info(ChannelHandlerContext ctx, int code, int type, Consumer<ByteBuf> body) {
        ByteBuf buf = ctx.alloc().buffer();
        buf.writeShort(type);
        body.accept(buf);
        ctx.write(new OptionReply(code, NbdConstants.REP_INFO, buf));
    }
}
