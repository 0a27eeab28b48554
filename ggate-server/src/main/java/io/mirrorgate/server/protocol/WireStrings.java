package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.CorruptedFrameException;
import java.nio.charset.StandardCharsets;

/** Length-prefixed UTF-8 strings and bounds checks shared by the message decoders. */
final class WireStrings {
    private WireStrings() {}

    static void write(ByteBuf out, String text, int max, String what) {
        byte[] bytes = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
        if (bytes.length > max) {
            throw new IllegalArgumentException(
                    what + " length: " + bytes.length + " (expected: <= " + max + ")");
        }
        out.writeShort(bytes.length);
        out.writeBytes(bytes);
    }

    static String read(ByteBuf in, int max, String what) {
        need(in, 2, what);
        int length = in.readUnsignedShort();
        if (length > max) {
            throw new CorruptedFrameException(
                    what + " length: " + length + " (expected: <= " + max + ")");
        }
        need(in, length, what);
        return in.readCharSequence(length, StandardCharsets.UTF_8).toString();
    }

    static void need(ByteBuf in, int length, String what) {
        if (in.readableBytes() < length) {
            throw new CorruptedFrameException(what + ": " + in.readableBytes()
                    + " bytes left (expected: >= " + length + ")");
        }
    }

    static void end(ByteBuf in, String what) {
        if (in.isReadable()) {
            throw new CorruptedFrameException(
                    what + ": " + in.readableBytes() + " trailing bytes (expected: 0)");
        }
    }

    /** {@code text} cut so that its UTF-8 form fits in {@code max} bytes. */
    static String cut(String text, int max) {
        if (text == null) {
            return "";
        }
        if (text.getBytes(StandardCharsets.UTF_8).length <= max) {
            return text;
        }
        int end = Math.min(text.length(), max);
        while (end > 0 && text.substring(0, end).getBytes(StandardCharsets.UTF_8).length > max - 3) {
            end--;
        }
        return text.substring(0, end) + "...";
    }
}
