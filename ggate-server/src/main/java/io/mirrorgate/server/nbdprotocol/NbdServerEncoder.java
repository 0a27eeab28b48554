package io.mirrorgate.server.nbdprotocol;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.IHAVEOPT;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.NBDMAGIC;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.OPTION_REPLY_MAGIC;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.SIMPLE_REPLY_MAGIC;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.STRUCTURED_REPLY_MAGIC;

import io.mirrorgate.server.nbdprotocol.NbdMessages.ExportNameReply;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Greeting;
import io.mirrorgate.server.nbdprotocol.NbdMessages.OptionReply;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Outbound;
import io.mirrorgate.server.nbdprotocol.NbdMessages.SimpleReply;
import io.mirrorgate.server.nbdprotocol.NbdMessages.StructuredReply;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes what the server sends. Payloads are passed on without a copy, after their header.
 *
 * <pre>
 * greeting              export-name reply          option reply
 * +----------------+    +---------------------+    +-------------------------+
 * | u64 NBDMAGIC   |    | u64 size            |    | u64 0x0003e889045565a9  |
 * | u64 IHAVEOPT   |    | u16 trans. flags    |    | u32 option              |
 * | u16 hs flags   |    | 124 zero bytes,     |    | u32 reply type          |
 * +----------------+    |  unless NO_ZEROES   |    | u32 length              |
 *                       +---------------------+    | length bytes of data    |
 *                                                  +-------------------------+
 * simple reply          structured reply chunk
 * +----------------+    +---------------------+
 * | u32 0x67446698 |    | u32 0x668e33ef      |
 * | u32 error      |    | u16 flags (DONE)    |
 * | u64 cookie     |    | u16 type            |
 * | READ: data     |    | u64 cookie          |
 * +----------------+    | u32 length          |
 *                       | length bytes        |
 *                       +---------------------+
 * </pre>
 */
public final class NbdServerEncoder extends MessageToMessageEncoder<Outbound> {

    public NbdServerEncoder() {
        super(Outbound.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Outbound msg, List<Object> out) {
        if (msg instanceof Greeting g) {
            out.add(ctx.alloc().buffer(18).writeLong(NBDMAGIC).writeLong(IHAVEOPT)
                    .writeShort(g.handshakeFlags()));
        } else if (msg instanceof ExportNameReply r) {
            ByteBuf buf = ctx.alloc().buffer(r.zeroes() ? 134 : 10);
            buf.writeLong(r.size()).writeShort(r.transmissionFlags());
            if (r.zeroes()) {
                buf.writeZero(124);
            }
            out.add(buf);
        } else if (msg instanceof OptionReply r) {
            out.add(ctx.alloc().buffer(20).writeLong(OPTION_REPLY_MAGIC).writeInt(r.option())
                    .writeInt(r.type()).writeInt(r.content().readableBytes()));
            addPayload(r.content(), out);
        } else if (msg instanceof SimpleReply r) {
            out.add(ctx.alloc().buffer(16).writeInt(SIMPLE_REPLY_MAGIC).writeInt(r.error())
                    .writeLong(r.cookie()));
            addPayload(r.content(), out);
        } else if (msg instanceof StructuredReply r) {
            out.add(ctx.alloc().buffer(20).writeInt(STRUCTURED_REPLY_MAGIC).writeShort(r.flags())
                    .writeShort(r.type()).writeLong(r.cookie()).writeInt(r.content().readableBytes()));
            addPayload(r.content(), out);
        } else {
            throw new EncoderException("unexpected message: " + msg.getClass().getName());
        }
    }

    /** The holder is released by the superclass after encode; the payload goes on retained. */
    private static void addPayload(ByteBuf payload, List<Object> out) {
        if (payload.isReadable()) {
            out.add(payload.retain());
        }
    }
}
