package io.mirrorgate.server.tls;

import java.util.Locale;

/** Whether a server speaks TLS: not at all, on request (plaintext still served), or only. */
public enum TlsMode {
    /** No TLS: plaintext only. */
    OFF,
    /** TLS when the client starts it (ggate: a TLS ClientHello; NBD: NBD_OPT_STARTTLS); plaintext too. */
    ALLOW,
    /** TLS only: plaintext is refused (ggate: closed; NBD: NBD_REP_ERR_TLS_REQD). */
    REQUIRE;

    /** {@code off}, {@code allow} or {@code require}, any case. */
    public static TlsMode parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tls: " + text + " (expected: off, allow or require)");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
