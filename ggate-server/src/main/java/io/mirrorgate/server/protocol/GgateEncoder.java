package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Encodes ggate messages (layouts in {@link GgateCodec}): a header buffer followed by the
 * payload without a copy, or by its LZ4 form when compression was negotiated and the
 * compressed payload is actually smaller. Whether a payload is tried at all is up to the
 * connection's {@link AdaptiveCompression}: payloads that do not shrink stop the attempts for a
 * while, so incompressible data is sent at the speed of uncompressed data.
 */
public final class GgateEncoder extends MessageToMessageEncoder<GgateMessage> {
    private volatile boolean compression;
    private final AdaptiveCompression adaptive = new AdaptiveCompression();

    public GgateEncoder() {
        super(GgateMessage.class);
    }

    /** Compresses payloads from now on (once the handshake negotiated it). */
    public void enableCompression() {
        compression = true;
    }

    /** This connection's compression decisions (read it on the channel's event loop). */
    public AdaptiveCompression adaptiveCompression() {
        return adaptive;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, GgateMessage msg, List<Object> out) {
        ByteBuf header = ctx.alloc().buffer(GgateProtocol.HEADER_LENGTH + 96);
        try {
            header.writeInt(GgateProtocol.MAGIC);
            header.writeByte(msg.type());
            header.writeByte(0);
            header.writeShort(0);
            header.writeInt(0);
            ByteBuf payload = null;
            int flags = 0;
            if (msg instanceof Hello m) {
                m.encodeBody(header);
            } else if (msg instanceof Challenge m) {
                m.encodeBody(header);
            } else if (msg instanceof Auth m) {
                m.encodeBody(header);
            } else if (msg instanceof Welcome m) {
                m.encodeBody(header);
            } else if (msg instanceof Request m) {
                if (m.length() < 0 || m.length() > 0xFFFFFFFFL) {
                    throw new EncoderException(
                            "length: " + m.length() + " (expected: 0 to 4294967295)");
                }
                header.writeShort(m.commandCode());
                header.writeShort(0);
                header.writeInt(m.crc());
                header.writeLong(m.sequence());
                header.writeLong(m.offset());
                header.writeInt((int) m.length());
                flags = m.flags();
                payload = m.payload();
            } else if (msg instanceof Reply m) {
                header.writeLong(m.sequence());
                header.writeInt(m.error().errno());
                header.writeInt(m.crc());
                header.writeInt(m.payload() == null ? 0 : m.payload().readableBytes());
                WireStrings.write(header, WireStrings.cut(m.reason(),
                        GgateProtocol.MAX_REASON_LENGTH), GgateProtocol.MAX_REASON_LENGTH,
                        "reason");
                payload = m.payload();
            }
            ByteBuf wirePayload = null;
            if (payload != null && payload.isReadable()) {
                if (compression && adaptive.shouldAttempt()) {
                    wirePayload = Payloads.compress(ctx.alloc(), payload);
                    adaptive.record(payload.readableBytes(),
                            wirePayload == null ? -1 : wirePayload.readableBytes());
                }
                if (wirePayload != null) {
                    flags |= GgateProtocol.FLAG_COMPRESSED;
                } else {
                    wirePayload = payload.retainedSlice();
                }
            }
            int bodyLength = header.readableBytes() - GgateProtocol.HEADER_LENGTH
                    + (wirePayload == null ? 0 : wirePayload.readableBytes());
            header.setByte(5, flags);
            header.setInt(8, bodyLength);
            out.add(header);
            header = null;
            if (wirePayload != null) {
                out.add(wirePayload);
            }
        } finally {
            if (header != null) {
                header.release();
            }
        }
    }
}
