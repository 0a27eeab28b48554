package io.mirrorgate.server.nbd;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_BLOCK_STATUS;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_CACHE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_DISC;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_DF;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_FAST_ZERO;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_FUA;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_NO_HOLE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLAG_REQ_ONE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_FLUSH;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_READ;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_TRIM;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_WRITE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_WRITE_ZEROES;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.nbdprotocol.NbdMessages;
import io.mirrorgate.common.lifecycle.GracefulShutdown;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.export.Export;
import io.mirrorgate.server.guard.ByteBudget;
import io.mirrorgate.server.guard.ConnectionLimits;
import io.mirrorgate.server.guard.Drain;
import io.mirrorgate.server.guard.RequestGate;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Request;
import io.mirrorgate.server.nbdprotocol.NbdMessages.SimpleReply;
import io.mirrorgate.server.nbdprotocol.NbdMessages.StructuredReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transmission phase for one export: validates each request (command, flags, access, size,
 * bounds), hands it to the device without blocking, and sends exactly one reply when the device's
 * future completes, pipelined and in completion order. Reading pauses while too many requests or
 * bytes are in flight or the channel is not writable. {@link GracefulShutdown#EVENT} and
 * NBD_CMD_DISC stop reading; the connection closes once the requests in flight have replied.
 *
 * <p>A request of length 0 (READ, WRITE, TRIM, WRITE_ZEROES, CACHE) is checked and answered with
 * success without touching the device (a structured READ gets one NBD_REPLY_TYPE_NONE chunk);
 * BLOCK_STATUS of length 0 is EINVAL. A structured read answers with one content chunk, so DF
 * is honoured as it stands: NBD_REPLY_TYPE_OFFSET_HOLE when the data read as all zeroes,
 * NBD_REPLY_TYPE_OFFSET_DATA otherwise. NBD_CMD_FLAG_FUA is accepted on every command.
 */
public final class NbdTransmissionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(NbdTransmissionHandler.class);
    private static final int MAX_IN_FLIGHT = 128;

    private final Export export;
    private final BlockDevice device;
    private final boolean structured;
    private final boolean allocationContext;
    private final boolean readOnly;
    private final int maxPayload;
    private boolean draining;
    private ConnectionLimits limits;
    /** Requests between decoding and reply, and the limits ({@link RequestGate}). */
    private RequestGate<Request> gate;
    /** The future of the reply {@link #complete} wrote last, or null. */
    private ChannelFuture lastReply;

    /**
     * @param structured structured replies were negotiated
     * @param allocationContext {@code base:allocation} was selected (NBD_CMD_BLOCK_STATUS)
     */
    public NbdTransmissionHandler(Export export, boolean structured, boolean allocationContext,
            int maxPayload) {
        this.export = export;
        this.device = export.device();
        this.structured = structured;
        this.allocationContext = allocationContext;
        this.readOnly = isReadOnly(export);
        this.maxPayload = maxPayload;
    }

    /** The transmission flags advertised for {@code export}. */
    static int transmissionFlags(Export export, boolean structured) {
        int flags = NbdConstants.FLAG_HAS_FLAGS | NbdConstants.FLAG_SEND_FLUSH
                | NbdConstants.FLAG_SEND_CACHE
                // A device's flush makes every completed write durable, whichever connection
                // issued it, so several connections to one export are safe.
                | NbdConstants.FLAG_CAN_MULTI_CONN;
        if (structured) {
            flags |= NbdConstants.FLAG_SEND_DF;
        }
        if (isReadOnly(export)) {
            // what only writes do (trim, write-zeroes, FUA) is not offered next to read-only
            return flags | NbdConstants.FLAG_READ_ONLY;
        }
        flags |= NbdConstants.FLAG_SEND_FUA | NbdConstants.FLAG_SEND_TRIM
                | NbdConstants.FLAG_SEND_WRITE_ZEROES;
        return fastZero(export) ? flags | NbdConstants.FLAG_SEND_FAST_ZERO : flags;
    }

    private static boolean fastZero(Export export) {
        return !isReadOnly(export) && export.device().supportsFastZero();
    }

    private static boolean isReadOnly(Export export) {
        return !export.access().canWrite() || export.device().isReadOnly();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Request request)) {
            ReferenceCountUtil.release(msg);
            throw new IllegalStateException("unexpected message in transmission: " + msg);
        }
        gate(ctx).offer(request);
        closeIfDrained(ctx);
    }

    /** The connection's {@link RequestGate}, made on first use (the handler replaced another). */
    private RequestGate<Request> gate(ChannelHandlerContext ctx) {
        if (gate == null) {
            gate = new RequestGate<>(ctx.channel(), limits(ctx), MAX_IN_FLIGHT, r -> {
                try {
                    start(ctx, r);
                } finally {
                    r.release();
                }
            }, Request::release);
        }
        return gate;
    }

    private void start(ChannelHandlerContext ctx, Request request) {
        if (request.type() == CMD_DISC) {
            LOG.debug("nbd disconnect requested peer={}", ctx.channel().remoteAddress());
            drain(ctx);
            return;
        }
        if (draining) {
            replyError(ctx, request, ErrorCode.ESHUTDOWN, "the server is shutting down");
            return;
        }
        MirrorgateException refused = validate(request);
        if (refused != null) {
            replyError(ctx, request, refused.code(), refused.getMessage());
            return;
        }
        dispatch(ctx, request);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        gate(ctx).discardWaiting();
        ctx.fireChannelInactive();
    }

    private MirrorgateException validate(Request r) {
        int allowed;
        String command;
        switch (r.type()) {
            case CMD_READ -> { allowed = structured ? CMD_FLAG_DF : 0; command = "NBD_CMD_READ"; }
            case CMD_WRITE -> { allowed = 0; command = "NBD_CMD_WRITE"; }
            case CMD_FLUSH -> { allowed = 0; command = "NBD_CMD_FLUSH"; }
            case CMD_TRIM -> { allowed = 0; command = "NBD_CMD_TRIM"; }
            case CMD_CACHE -> { allowed = 0; command = "NBD_CMD_CACHE"; }
            case CMD_WRITE_ZEROES -> { allowed = CMD_FLAG_NO_HOLE
                    | (fastZero(export) ? CMD_FLAG_FAST_ZERO : 0);
                command = "NBD_CMD_WRITE_ZEROES"; }
            case CMD_BLOCK_STATUS -> { allowed = CMD_FLAG_REQ_ONE; command = "NBD_CMD_BLOCK_STATUS"; }
            default -> {
                return new MirrorgateException(ErrorCode.EINVAL,
                        "command type " + r.type() + " is not supported");
            }
        }
        allowed |= CMD_FLAG_FUA;
        if ((r.flags() & ~allowed) != 0) {
            return new MirrorgateException(ErrorCode.EINVAL, String.format(
                    "%s flags: 0x%04x (expected: within 0x%04x)", command, r.flags(), allowed));
        }
        boolean reading = r.type() == CMD_READ || r.type() == CMD_CACHE
                || r.type() == CMD_BLOCK_STATUS;
        boolean mutating = !reading && r.type() != CMD_FLUSH;
        if (r.type() == CMD_BLOCK_STATUS && !allocationContext) {
            return new MirrorgateException(ErrorCode.EINVAL, "NBD_CMD_BLOCK_STATUS without a"
                    + " metadata context (select base:allocation with NBD_OPT_SET_META_CONTEXT)");
        }
        if (r.type() == CMD_BLOCK_STATUS && r.length() == 0) {
            return new MirrorgateException(ErrorCode.EINVAL, "NBD_CMD_BLOCK_STATUS length: 0"
                    + " (expected: > 0)");
        }
        if (reading && !export.access().canRead()) {
            return new MirrorgateException(ErrorCode.EPERM, export.name() + ": export is write-only");
        }
        if (mutating && readOnly) {
            return new MirrorgateException(ErrorCode.EROFS, export.name() + ": export is read-only");
        }
        if ((r.type() == CMD_READ || r.type() == CMD_WRITE) && (r.length() > maxPayload || r.discarded())) {
            return new MirrorgateException(ErrorCode.EMSGSIZE,
                    command + " length: " + r.length() + " (expected: <= " + maxPayload + ")");
        }
        if (r.type() != CMD_FLUSH
                && (r.offset() < 0 || r.length() > device.size() || r.offset() > device.size() - r.length())) {
            boolean writing = r.type() == CMD_WRITE || r.type() == CMD_WRITE_ZEROES;
            return new MirrorgateException(writing ? ErrorCode.ENOSPC : ErrorCode.EINVAL,
                    String.format("%s offset %s + length %d is past the end of export %s (size: %d)",
                            command, Long.toUnsignedString(r.offset()), r.length(), export.name(),
                            device.size()));
        }
        return null;
    }

    private void dispatch(ChannelHandlerContext ctx, Request r) {
        boolean fua = (r.flags() & CMD_FLAG_FUA) != 0;
        long bytes = r.type() == CMD_READ || r.type() == CMD_WRITE ? r.length() : 0;
        int zeroFlags = ((r.flags() & CMD_FLAG_NO_HOLE) != 0 ? BlockDevice.ZERO_NO_HOLE : 0)
                | ((r.flags() & CMD_FLAG_FAST_ZERO) != 0 ? BlockDevice.ZERO_FAST : 0);
        CompletableFuture<?> future = r.length() == 0 && r.type() != CMD_FLUSH
                ? CompletableFuture.completedFuture(r.type() == CMD_READ ? Unpooled.EMPTY_BUFFER : null)
                : switch (r.type()) {
            case CMD_READ -> call(() -> BlockDevice.readPreferringNow(device, r.offset(), (int) r.length()));
            case CMD_WRITE -> {
                ByteBuf data = r.content().retain();
                yield call(() -> BlockDevice.writePreferringNow(device, r.offset(), data, fua))
                        .whenComplete((v, e) -> data.release());
            }
            case CMD_FLUSH -> call(device::flush);
            case CMD_TRIM -> call(() -> device.trim(r.offset(), r.length()))
                    .thenCompose(v -> fua ? device.flush() : CompletableFuture.completedFuture(null));
            case CMD_WRITE_ZEROES -> call(() -> device.writeZeroes(r.offset(), r.length(), fua,
                    zeroFlags));
            case CMD_CACHE -> call(() -> cache(r.offset(), r.length()));
            case CMD_BLOCK_STATUS -> call(() -> NbdBlockStatus.query(device, r.offset(), r.length(),
                    (r.flags() & CMD_FLAG_REQ_ONE) != 0, ctx.alloc()));
            default -> throw new IllegalStateException("validated type: " + r.type());
        };
        gate(ctx).started(bytes);
        int type = r.type();
        long cookie = r.cookie();
        long offset = r.offset();
        long length = r.length();
        future.whenComplete((result, failure) -> {
            // the zero scan runs on the completing thread (the device's, unless read at once)
            boolean zero = structured && type == CMD_READ && result instanceof ByteBuf data
                    && data.isReadable() && isZero(data);
            boolean queued = gate(ctx).replyOnLoop(bytes, result, () -> {
                lastReply = null;
                complete(ctx, type, cookie, offset, length, result, failure, zero);
                // the bytes count until the reply is written: unread replies hold the limits
                gate(ctx).replied(bytes, lastReply);
                gate(ctx).pump();
                closeIfDrained(ctx);
            });
            if (!queued) {
                LOG.warn("nbd reply dropped, event loop is gone peer={}", ctx.channel().remoteAddress());
            }
        });
    }

    /** Writes a reply; {@link #lastReply} is its future. */
    private ChannelFuture reply(ChannelHandlerContext ctx, Object message) {
        lastReply = ctx.writeAndFlush(message);
        return lastReply;
    }

    /** NBD_CMD_CACHE: a hint, widened to whole blocks. */
    private CompletableFuture<Void> cache(long offset, long length) {
        long blockSize = device.blockSize();
        long start = offset - offset % blockSize;
        long end = Math.min(device.size(), (offset + length + blockSize - 1) / blockSize * blockSize);
        return device.cache(start, end - start);
    }

    /** Runs a device call; a device that throws instead of failing its future still gets a reply. */
    private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> op) {
        try {
            CompletableFuture<T> f = op.get();
            return f != null ? f : CompletableFuture.failedFuture(
                    new MirrorgateException(ErrorCode.EIO, "device returned no future"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** {@code zero}: a read whose data is all zeroes (sent as one OFFSET_HOLE chunk). */
    private void complete(ChannelHandlerContext ctx, int type, long cookie, long offset, long length,
            Object result, Throwable failure, boolean zero) {
        if (!ctx.channel().isActive()) {
            ReferenceCountUtil.release(result);
            return;
        }
        if (failure != null) {
            LOG.debug("nbd request failed peer={} type={} offset={}", ctx.channel().remoteAddress(),
                    type, offset, failure);
            writeError(ctx, type, cookie, offset, MirrorgateException.codeOf(failure),
                    MirrorgateException.messageOf(failure), type == CMD_READ);
            return;
        }
        if (type == CMD_BLOCK_STATUS) {
            ByteBuf payload = (ByteBuf) result;
            if (payload.readableBytes() < 12) {
                payload.release();
                writeError(ctx, type, cookie, offset, ErrorCode.EIO, device.name()
                        + ": no allocation extents for offset " + offset, false);
                return;
            }
            reply(ctx, new StructuredReply(NbdConstants.REPLY_FLAG_DONE,
                    NbdConstants.REPLY_TYPE_BLOCK_STATUS, cookie, payload));
            return;
        }
        if (type != CMD_READ) {
            reply(ctx, new SimpleReply(0, cookie, Unpooled.EMPTY_BUFFER));
            return;
        }
        ByteBuf data = (ByteBuf) result;
        if (data == null || data.readableBytes() != length) {
            int got = data == null ? -1 : data.readableBytes();
            ReferenceCountUtil.release(data);
            writeError(ctx, type, cookie, offset, ErrorCode.EIO, device.name() + ": read returned "
                    + got + " bytes (expected: " + length + ")", true);
            return;
        }
        if (structured && length == 0) {
            // OFFSET_DATA needs at least one byte: an empty read is a lone NONE chunk
            data.release();
            reply(ctx, new StructuredReply(NbdConstants.REPLY_FLAG_DONE,
                    NbdConstants.REPLY_TYPE_NONE, cookie, Unpooled.EMPTY_BUFFER));
        } else if (zero) {
            // one OFFSET_HOLE chunk (a content chunk, so DF holds): 12 bytes instead of the zeroes
            data.release();
            ByteBuf hole = ctx.alloc().buffer(12).writeLong(offset).writeInt((int) length);
            reply(ctx, new StructuredReply(NbdConstants.REPLY_FLAG_DONE,
                    NbdConstants.REPLY_TYPE_OFFSET_HOLE, cookie, hole));
        } else if (structured) {
            ByteBuf header = ctx.alloc().buffer(8).writeLong(offset);
            reply(ctx, new StructuredReply(NbdConstants.REPLY_FLAG_DONE,
                    NbdConstants.REPLY_TYPE_OFFSET_DATA, cookie, Unpooled.wrappedBuffer(header, data)));
        } else {
            reply(ctx, new SimpleReply(0, cookie, data));
        }
    }

    /** Whether every readable byte is zero (real data stops the scan within a few bytes). */
    private static boolean isZero(ByteBuf data) {
        int i = data.readerIndex();
        int end = data.writerIndex();
        for (; i + 8 <= end; i += 8) {
            if (data.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (data.getByte(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** A request refused before reaching the device: an error that names no offset. */
    private void replyError(ChannelHandlerContext ctx, Request r, ErrorCode code, String message) {
        LOG.debug("nbd request refused peer={} request={} reason={}", ctx.channel().remoteAddress(),
                r, message);
        writeError(ctx, r.type(), r.cookie(), r.offset(), code, message, false);
    }

    /**
     * An error reply: simple (errno only) or, once structured replies are negotiated, an
     * NBD_REPLY_TYPE_ERROR chunk ({@code u32 errno, u16 message length, message}) or, for a read
     * that failed on the device, NBD_REPLY_TYPE_ERROR_OFFSET (the same plus {@code u64 offset}).
     */
    private void writeError(ChannelHandlerContext ctx, int type, long cookie, long offset,
            ErrorCode code, String message, boolean atOffset) {
        int errno = NbdErrors.errno(code, structured);
        if (!structured) {
            reply(ctx, new SimpleReply(errno, cookie, Unpooled.EMPTY_BUFFER));
            return;
        }
        byte[] text = NbdErrors.truncate(message).getBytes(StandardCharsets.UTF_8);
        ByteBuf payload = ctx.alloc().buffer(6 + text.length + 8);
        payload.writeInt(errno).writeShort(text.length).writeBytes(text);
        if (atOffset) {
            payload.writeLong(offset);
        }
        reply(ctx, new StructuredReply(NbdConstants.REPLY_FLAG_DONE, atOffset
                ? NbdConstants.REPLY_TYPE_ERROR_OFFSET : NbdConstants.REPLY_TYPE_ERROR, cookie, payload));
    }

    /** The server's limits (bytes in flight per connection and server, drain timeout). */
    private ConnectionLimits limits(ChannelHandlerContext ctx) {
        if (limits == null) {
            limits = ConnectionLimits.of(ctx.channel());
        }
        return limits;
    }

    /**
     * Stops reading; once the requests in flight have replied, closes after the last reply has
     * been written ({@link Drain}: NBD_CMD_DISC and a shutdown never cut a reply off).
     */
    private void drain(ChannelHandlerContext ctx) {
        draining = true;
        gate(ctx).stopReading();
        closeIfDrained(ctx);
    }

    /** Draining and nothing waits or is in flight: close once the last reply is out. */
    private void closeIfDrained(ChannelHandlerContext ctx) {
        if (draining && gate(ctx).isEmpty() && ctx.channel().isActive()) {
            Drain.close(ctx.channel(), limits(ctx).drainTimeout());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        gate(ctx).pump();
        closeIfDrained(ctx);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ByteBudget.Freed.EVENT) {
            gate(ctx).pump();
            closeIfDrained(ctx);
            return;
        }
        if (evt == GracefulShutdown.EVENT) {
            LOG.debug("nbd graceful shutdown peer={} inFlight={}", ctx.channel().remoteAddress(),
                    gate(ctx).inFlight());
            drain(ctx);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        NbdErrors.closeOnFailure(ctx, cause, LOG);
    }
}
