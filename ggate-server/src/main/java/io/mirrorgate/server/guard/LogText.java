package io.mirrorgate.server.guard;

/**
 * Peer-supplied text made safe for a log line: control characters (C0, DEL, C1, the Unicode line
 * and paragraph separators) become {@code \n}, {@code \xNN} or {@code \\uNNNN} escapes, a
 * backslash and a double quote are escaped (values are logged as {@code key="value"}), and the
 * text is cut to {@value #MAX_CHARS} characters. A name with a newline can no longer forge a log
 * line.
 */
public final class LogText {
    /** The longest peer string logged, in characters. */
    public static final int MAX_CHARS = 256;

    private LogText() {}

    /** {@code text} escaped and cut; null is {@code "(none)"}. */
    public static String escape(String text) {
        if (text == null) {
            return "(none)";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 16);
        int limit = Math.min(text.length(), MAX_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else if (c == '\u2028' || c == '\u2029' || c == '\u0085'
                            || Character.isSurrogate(c) && !validSurrogate(text, i)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (text.length() > limit) {
            out.append("...(").append(text.length() - limit).append(" more chars)");
        }
        return out.toString();
    }

    private static boolean validSurrogate(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
    }
}
