package io.mirrorgate.server.nbdprotocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

/**
 * The messages between the NBD codec and the handlers. Those that carry a payload are {@link
 * io.netty.buffer.ByteBufHolder}s: whoever holds one releases it exactly once (the encoder does
 * for outbound ones, the handlers for inbound ones).
 */
public final class NbdMessages {
    private NbdMessages() {}

    /** Marker of what the server writes; {@link NbdServerEncoder} encodes exactly these. */
    public interface Outbound {}

    /** The 32-bit client flags that follow the server's greeting. */
    public record ClientFlags(int flags) {}

    /** One option of the haggling phase, with its data (released by the handler). */
    public static final class Option extends DefaultByteBufHolder {
        private final int option;

        public Option(int option, ByteBuf data) {
            super(data);
            this.option = option;
        }

        public int option() {
            return option;
        }
    }

    /**
     * A message of the transmission phase: the flags, type and cookie of its header, and its
     * payload.
     */
    public abstract static class Transmission extends DefaultByteBufHolder {
        private final int flags;
        private final int type;
        private final long cookie;

        Transmission(int flags, int type, long cookie, ByteBuf payload) {
            super(payload);
            this.flags = flags;
            this.type = type;
            this.cookie = cookie;
        }

        public int flags() {
            return flags;
        }

        public int type() {
            return type;
        }

        public long cookie() {
            return cookie;
        }
    }

    /**
     * One transmission request. A WRITE carries its payload; a WRITE over the maximum payload
     * arrives with an empty payload and {@code discarded} set (the decoder dropped the bytes).
     */
    public static final class Request extends Transmission {
        private final long offset;
        private final long length;
        private final boolean discarded;

        public Request(int flags, int type, long cookie, long offset, long length, ByteBuf payload,
                boolean discarded) {
            super(flags, type, cookie, payload);
            this.offset = offset;
            this.length = length;
            this.discarded = discarded;
        }

        /** The offset as sent: unsigned 64 bits, so a value above 2^63 is negative here. */
        public long offset() {
            return offset;
        }

        /** The length as sent: unsigned 32 bits. */
        public long length() {
            return length;
        }

        public boolean discarded() {
            return discarded;
        }

        @Override
        public String toString() {
            return "Request(type=" + type() + " flags=" + flags() + " cookie=" + cookie() + " offset="
                    + Long.toUnsignedString(offset) + " length=" + length + ")";
        }
    }

    /** The greeting: magic, IHAVEOPT and the handshake flags. */
    public record Greeting(int handshakeFlags) implements Outbound {}

    /** The reply to NBD_OPT_EXPORT_NAME: size, transmission flags, optional 124 zero bytes. */
    public record ExportNameReply(long size, int transmissionFlags, boolean zeroes)
            implements Outbound {}

    /** An option reply. */
    public static final class OptionReply extends DefaultByteBufHolder implements Outbound {
        private final int option;
        private final int type;

        public OptionReply(int option, int type, ByteBuf data) {
            super(data);
            this.option = option;
            this.type = type;
        }

        public OptionReply(int option, int type) {
            this(option, type, Unpooled.EMPTY_BUFFER);
        }

        public int option() {
            return option;
        }

        public int type() {
            return type;
        }
    }

    /** A simple reply; {@code data} is the read payload (empty otherwise). */
    public static final class SimpleReply extends DefaultByteBufHolder implements Outbound {
        private final int error;
        private final long cookie;

        public SimpleReply(int error, long cookie, ByteBuf data) {
            super(data);
            this.error = error;
            this.cookie = cookie;
        }

        public int error() {
            return error;
        }

        public long cookie() {
            return cookie;
        }
    }

    /** One structured reply chunk; {@code payload} is the chunk's whole payload. */
    public static final class StructuredReply extends Transmission implements Outbound {
        public StructuredReply(int flags, int type, long cookie, ByteBuf payload) {
            super(flags, type, cookie, payload);
        }
    }
}
