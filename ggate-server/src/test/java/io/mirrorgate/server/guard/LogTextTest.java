package io.mirrorgate.server.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class LogTextTest {
    @Test
    void controlCharactersQuotesAndLineSeparatorsAreEscaped() {
        assertEquals("a\\nb\\r\\tc\\x00\\x1b[31m\\x7f\\x85\\u2028\\\"q\\\" \\\\",
                LogText.escape("a\nb\r\tc\u0000\u001b[31m\u007f\u0085\u2028\"q\" \\"));
        assertEquals("(none)", LogText.escape(null));
        assertEquals("plain /data/disk.img é 日本", LogText.escape("plain /data/disk.img é 日本"));
    }

    @Test
    void longTextIsCut() {
        String escaped = LogText.escape("x".repeat(10_000));
        assertTrue(escaped.startsWith("x".repeat(LogText.MAX_CHARS) + "...(9744 more chars)"), escaped);
    }

    @Test
    void warningsAreRateLimitedPerPeerAndTheNextOneSaysHowManyWereSuppressed() {
        PeerWarnings w = new PeerWarnings(3, 3600);
        InetSocketAddress a = new InetSocketAddress("10.0.0.1", 1000);
        InetSocketAddress sameHostOtherPort = new InetSocketAddress("10.0.0.1", 2000);
        InetSocketAddress b = new InetSocketAddress("10.0.0.2", 1000);
        assertEquals(0, w.permit(a));
        assertEquals(0, w.permit(sameHostOtherPort));
        assertEquals(0, w.permit(a));
        assertEquals(-1, w.permit(sameHostOtherPort));
        assertEquals(-1, w.permit(a));
        assertEquals(0, w.permit(b), "another peer is not affected");
        PeerWarnings fast = new PeerWarnings(1, 0);
        assertEquals(0, fast.permit(a));
    }
}
