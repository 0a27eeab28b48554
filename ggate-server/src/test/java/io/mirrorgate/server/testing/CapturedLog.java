package io.mirrorgate.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Captures what the program logs (slf4j-simple writes to {@code System.err}, looked up at each
 * line) while open; {@link #lines()} returns it. Restores {@code System.err} at close.
 */
public final class CapturedLog implements AutoCloseable {
    private final PrintStream saved = System.err;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    public CapturedLog() {
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    }

    public synchronized List<String> lines() {
        System.err.flush();
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Override
    public void close() {
        System.setErr(saved);
        saved.print(bytes.toString(StandardCharsets.UTF_8));
    }
}
