package io.mirrorgate.server.protocol;

import io.mirrorgate.common.error.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Frames and decodes ggate messages (layouts in {@link GgateCodec}). It waits for a whole frame
 * whatever the reads look like, checks the magic, the type, the flags and the length against
 * the limit of the frame type <em>before</em> anything is allocated, and only then decodes. The
 * first violation throws and turns the decoder into a sink that discards everything after it:
 * the channel is to be closed.
 */
public final class GgateDecoder extends LargeFrameDecoder {
    private final int maxRequestSize;
    private volatile boolean compression;
    private volatile boolean handshakeOnly;
    private boolean failed;

    /** A decoder accepting payloads of at most {@code maxRequestSize} bytes. */
    public GgateDecoder(int maxRequestSize) {
        if (maxRequestSize < GgateProtocol.MIN_MAX_REQUEST_SIZE) {
            throw new IllegalArgumentException("maxRequestSize: " + maxRequestSize
                    + " (expected: >= " + GgateProtocol.MIN_MAX_REQUEST_SIZE + ")");
        }
        this.maxRequestSize = maxRequestSize;
    }

    /**
     * Until {@link #handshakeDone()}, accepts handshake frames only (a server before the client
     * is authenticated): a REQUEST header announcing a 32 MiB body is refused before a byte of
     * it is buffered.
     */
    public void handshakeFirst() {
        handshakeOnly = true;
    }

    /** The handshake is over: requests and replies of the negotiated size are accepted. */
    public void handshakeDone() {
        handshakeOnly = false;
    }

    /** The bytes held of a frame not yet complete (for the partial-frame timeout). */
    public long bufferedBytes() {
        return failed ? 0 : actualReadableBytes();
    }

    /** Accepts LZ4-compressed payloads from now on (once the handshake negotiated it). */
    public void enableCompression() {
        compression = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            decodeFrame(ctx, in, out);
        } catch (DecoderException | IllegalArgumentException e) {
            failed = true;
            cumulator.expect(0, 0);
            in.skipBytes(in.readableBytes());
            throw e instanceof DecoderException ? (DecoderException) e : new CorruptedFrameException(e);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out)
            throws Exception {
        super.decodeLast(ctx, in, out);
        if (!failed && in.isReadable()) {
            int left = in.readableBytes();
            failed = true;
            in.skipBytes(left);
            throw new CorruptedFrameException("truncated frame at close: " + left
                    + " bytes (expected: a whole frame)");
        }
    }

    private void decodeFrame(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < GgateProtocol.HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int magic = in.getInt(start);
        if (magic != GgateProtocol.MAGIC) {
            throw new CorruptedFrameException(String.format(
                    "magic: 0x%08x (expected: 0x%08x)", magic, GgateProtocol.MAGIC));
        }
        int type = in.getUnsignedByte(start + 4);
        int flags = in.getUnsignedByte(start + 5);
        long length = in.getUnsignedInt(start + 8);
        long limit = limit(type);
        if ((flags & ~GgateProtocol.KNOWN_FLAGS) != 0) {
            throw new CorruptedFrameException(String.format(
                    "flags: 0x%02x (expected: within 0x%02x)", flags, GgateProtocol.KNOWN_FLAGS));
        }
        if (length > limit) {
            throw new TooLongFrameException(
                    "length: " + length + " (expected: <= " + limit + ")");
        }
        if (in.readableBytes() < GgateProtocol.HEADER_LENGTH + length) {
            // checked against the limit above: the cumulator may size a buffer for it
            cumulator.expect(GgateProtocol.HEADER_LENGTH + (int) length,
                    type == GgateProtocol.TYPE_REQUEST
                            ? GgateProtocol.HEADER_LENGTH + GgateProtocol.REQUEST_FIXED_LENGTH
                            : GgateProtocol.HEADER_LENGTH);
            return;
        }
        cumulator.expect(0, 0);
        in.skipBytes(GgateProtocol.HEADER_LENGTH);
        ByteBuf body = in.readSlice((int) length);
        out.add(decodeBody(ctx, type, flags, body));
    }

    private long limit(int type) {
        if (handshakeOnly && (type == GgateProtocol.TYPE_REQUEST || type == GgateProtocol.TYPE_REPLY)) {
            throw new CorruptedFrameException("frame type: " + type
                    + " before the handshake is complete (expected: 1 to 4)");
        }
        return switch (type) {
            case GgateProtocol.TYPE_HELLO, GgateProtocol.TYPE_CHALLENGE, GgateProtocol.TYPE_AUTH,
                    GgateProtocol.TYPE_WELCOME -> GgateProtocol.MAX_HANDSHAKE_BODY;
            case GgateProtocol.TYPE_REQUEST -> GgateProtocol.maxRequestBody(maxRequestSize);
            case GgateProtocol.TYPE_REPLY -> GgateProtocol.maxReplyBody(maxRequestSize);
            default -> throw new CorruptedFrameException(
                    "frame type: " + type + " (expected: 1 to 6)");
        };
    }

    private GgateMessage decodeBody(ChannelHandlerContext ctx, int type, int flags, ByteBuf body) {
        if (type != GgateProtocol.TYPE_REQUEST && type != GgateProtocol.TYPE_REPLY && flags != 0) {
            throw new CorruptedFrameException(
                    "flags: " + flags + " on a handshake frame (expected: 0)");
        }
        return switch (type) {
            case GgateProtocol.TYPE_HELLO -> Hello.decode(body);
            case GgateProtocol.TYPE_CHALLENGE -> Challenge.decode(body);
            case GgateProtocol.TYPE_AUTH -> Auth.decode(body);
            case GgateProtocol.TYPE_WELCOME -> Welcome.decode(body);
            case GgateProtocol.TYPE_REQUEST -> decodeRequest(ctx, flags, body);
            default -> decodeReply(ctx, flags, body);
        };
    }

    private Request decodeRequest(ChannelHandlerContext ctx, int flags, ByteBuf body) {
        WireStrings.need(body, GgateProtocol.REQUEST_FIXED_LENGTH, "request");
        int code = body.readUnsignedShort();
        body.skipBytes(2);
        int crc = body.readInt();
        long sequence = body.readLong();
        long offset = body.readLong();
        long length = body.readUnsignedInt();
        Command command = Command.fromCode(code);
        ByteBuf payload = null;
        if (command != null && command.hasPayload()) {
            payload = payload(ctx, flags, body, length, "request");
        } else if ((flags & GgateProtocol.FLAG_COMPRESSED) != 0) {
            throw new CorruptedFrameException("compressed flag on a request without payload");
        } else if (command != null) {
            WireStrings.end(body, "request " + command);
        }
        return new Request(code, flags & ~GgateProtocol.FLAG_COMPRESSED, sequence, offset, length,
                crc, payload);
    }

    private Reply decodeReply(ChannelHandlerContext ctx, int flags, ByteBuf body) {
        WireStrings.need(body, GgateProtocol.REPLY_FIXED_LENGTH - 2, "reply");
        long sequence = body.readLong();
        ErrorCode error = ErrorCode.fromErrno(body.readInt());
        int crc = body.readInt();
        long length = body.readUnsignedInt();
        String reason = WireStrings.read(body, GgateProtocol.MAX_REASON_LENGTH, "reason");
        ByteBuf payload = null;
        if (length > 0 || body.isReadable()) {
            payload = payload(ctx, flags, body, length, "reply");
        }
        return new Reply(sequence, error, reason, crc, payload);
    }

    private ByteBuf payload(ChannelHandlerContext ctx, int flags, ByteBuf body, long length,
            String what) {
        if (length > maxRequestSize) {
            throw new TooLongFrameException(
                    "length: " + length + " (expected: <= " + maxRequestSize + ")");
        }
        if ((flags & GgateProtocol.FLAG_COMPRESSED) != 0) {
            if (!compression) {
                throw new CorruptedFrameException(
                        what + ": compressed payload, but LZ4 was not negotiated");
            }
            return Payloads.decompress(ctx.alloc(), body, (int) length);
        }
        if (body.readableBytes() != length) {
            throw new CorruptedFrameException(what + " payload: " + body.readableBytes()
                    + " bytes (expected: " + length + ")");
        }
        return body.readRetainedSlice((int) length);
    }
}
