package io.mirrorgate.server.nbdprotocol;

import static io.mirrorgate.server.nbdprotocol.NbdConstants.CMD_WRITE;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.IHAVEOPT;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.MAX_OPTION_LENGTH;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.REQUEST_HEADER_LENGTH;
import static io.mirrorgate.server.nbdprotocol.NbdConstants.REQUEST_MAGIC;

import io.mirrorgate.server.nbdprotocol.NbdMessages.ClientFlags;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Option;
import io.mirrorgate.server.nbdprotocol.NbdMessages.Request;
import io.mirrorgate.server.protocol.LargeFrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Frames what an NBD client sends, in three phases: the client flags, then options, then (after
 * {@link #startTransmission()}) requests. Limits are checked before anything is allocated; a
 * frame that breaks the protocol raises a {@link io.netty.handler.codec.DecoderException} and the
 * handler closes the connection; everything after it is dropped unread.
 *
 * <pre>
 * client flags (once)          option                          request
 * +-------------------+        +---------------------------+   +-------------------+
 * | u32 client flags  |        | u64 IHAVEOPT              |   | u32 0x25609513    |
 * +-------------------+        | u32 option                |   | u16 command flags |
 *                              | u32 length (<= 8192)      |   | u16 type          |
 *                              | length bytes of data      |   | u64 cookie        |
 *                              +---------------------------+   | u64 offset        |
 *                                                              | u32 length        |
 *                                                              | WRITE: length     |
 *                                                              |   bytes payload   |
 *                                                              +-------------------+
 * </pre>
 *
 * A WRITE whose length exceeds the maximum payload is not buffered: its payload is skipped as it
 * arrives and the request is passed on marked {@code discarded}, so that it still gets its one
 * error reply.
 */
public final class NbdServerDecoder extends LargeFrameDecoder {
    private enum State { CLIENT_FLAGS, OPTION, REQUEST, DISCARD, FAILED }

    private final int maxPayload;
    private State state = State.CLIENT_FLAGS;
    private long discardRemaining;

    public NbdServerDecoder(int maxPayload) {
        this.maxPayload = maxPayload;
    }

    /** The bytes held or still owed of a frame not yet complete (for the partial-frame timeout). */
    public long bufferedBytes() {
        return state == State.FAILED ? 0 : actualReadableBytes() + (state == State.DISCARD ? discardRemaining : 0);
    }

    /** Switches to the transmission phase; called by the handler that ends the haggling. */
    public void startTransmission() {
        state = State.REQUEST;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case CLIENT_FLAGS -> {
                if (in.readableBytes() >= 4) {
                    out.add(new ClientFlags(in.readInt()));
                    state = State.OPTION;
                }
            }
            case OPTION -> decodeOption(in, out);
            case REQUEST -> decodeRequest(in, out);
            case DISCARD -> {
                int n = (int) Math.min(discardRemaining, in.readableBytes());
                in.skipBytes(n);
                discardRemaining -= n;
                if (discardRemaining == 0) {
                    state = State.REQUEST;
                }
            }
            case FAILED -> in.skipBytes(in.readableBytes());
            default -> throw new IllegalStateException("state: " + state);
        }
    }

    /** Marks the stream as broken (everything later is dropped) and returns the failure. */
    private <T extends RuntimeException> T fail(T failure) {
        state = State.FAILED;
        cumulator.reset();
        return failure;
    }

    private void decodeOption(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 16) {
            return;
        }
        int start = in.readerIndex();
        long magic = in.getLong(start);
        if (magic != IHAVEOPT) {
            throw fail(new CorruptedFrameException(String.format(
                    "option magic: 0x%016x (expected: 0x%016x)", magic, IHAVEOPT)));
        }
        long length = in.getUnsignedInt(start + 12);
        if (length > MAX_OPTION_LENGTH) {
            throw fail(new TooLongFrameException("option length: " + length + " (expected: <= "
                    + MAX_OPTION_LENGTH + ")"));
        }
        if (in.readableBytes() < 16 + length) {
            return;
        }
        int option = in.getInt(start + 8);
        in.skipBytes(16);
        out.add(new Option(option, in.readRetainedSlice((int) length)));
    }

    private void decodeRequest(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < REQUEST_HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int magic = in.getInt(start);
        if (magic != REQUEST_MAGIC) {
            throw fail(new CorruptedFrameException(String.format(
                    "request magic: 0x%08x (expected: 0x%08x)", magic, REQUEST_MAGIC)));
        }
        int flags = in.getUnsignedShort(start + 4);
        int type = in.getUnsignedShort(start + 6);
        long cookie = in.getLong(start + 8);
        long offset = in.getLong(start + 16);
        long length = in.getUnsignedInt(start + 24);
        if (type != CMD_WRITE) {
            in.skipBytes(REQUEST_HEADER_LENGTH);
            out.add(new Request(flags, type, cookie, offset, length, Unpooled.EMPTY_BUFFER, false));
            return;
        }
        if (length > maxPayload) {
            in.skipBytes(REQUEST_HEADER_LENGTH);
            out.add(new Request(flags, type, cookie, offset, length, Unpooled.EMPTY_BUFFER, true));
            discardRemaining = length;
            state = length == 0 ? State.REQUEST : State.DISCARD;
            return;
        }
        if (in.readableBytes() < REQUEST_HEADER_LENGTH + length) {
            // checked against the maximum payload above: the cumulator may size a buffer for it
            cumulator.expect(REQUEST_HEADER_LENGTH + (int) length, REQUEST_HEADER_LENGTH);
            return;
        }
        cumulator.expect(0, 0);
        in.skipBytes(REQUEST_HEADER_LENGTH);
        out.add(new Request(flags, type, cookie, offset, length,
                in.readRetainedSlice((int) length), false));
    }
}
