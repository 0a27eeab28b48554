package io.mirrorgate.server.protocol;

import io.mirrorgate.server.export.Access;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mutual HMAC-SHA256 challenge-response of the handshake. Both proofs cover both nonces and
 * every field of the hello (export, access, epoch, session, node id, features), so neither side can be
 * impersonated by replaying an old exchange and a man in the middle cannot change what the
 * client asked for. The client proves first; the server proves only to a client that proved,
 * so an unauthenticated peer learns nothing (not even whether an export exists).
 */
public final class HandshakeAuth {
    private static final SecureRandom RANDOM = new SecureRandom();

    private HandshakeAuth() {}

    /**
     * Checks now that {@code key} can key HMAC-SHA256 and that nonces can be drawn: a JVM
     * without them fails at start, not at its first peer. It also loads the JCA provider and
     * seeds the nonce source here; in a fresh JVM that takes tens of milliseconds, which the first
     * handshake (a standby coming back, a client reconnecting) would otherwise wait for.
     */
    public static void prepare(byte[] key) {
        Hello probe = new Hello(GgateProtocol.VERSION, Access.RO, 0, 0, 0, nonce(), "", "");
        clientProof(key, probe, nonce());
    }

    /** A fresh random nonce. */
    public static byte[] nonce() {
        byte[] nonce = new byte[GgateProtocol.NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** The client's proof: HMAC(key, "mirrorgate-ggate client" | transcript). */
    public static byte[] clientProof(byte[] key, Hello hello, byte[] serverNonce) {
        return mac(key, "mirrorgate-ggate client", hello, serverNonce);
    }

    /** The server's proof: HMAC(key, "mirrorgate-ggate server" | transcript). */
    public static byte[] serverProof(byte[] key, Hello hello, byte[] serverNonce) {
        return mac(key, "mirrorgate-ggate server", hello, serverNonce);
    }

    /** Constant-time comparison of two proofs. */
    public static boolean matches(byte[] expected, byte[] actual) {
        return actual != null && MessageDigest.isEqual(expected, actual);
    }

    private static byte[] mac(byte[] key, String label, Hello hello, byte[] serverNonce) {
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("key: empty (expected: the bytes of the key file)");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(label.getBytes(StandardCharsets.UTF_8));
            mac.update(hello.clientNonce());
            mac.update(serverNonce);
            ByteBuffer fixed = ByteBuffer.allocate(26);
            fixed.putShort((short) hello.version());
            fixed.putInt(Hello.accessCode(hello.access()));
            fixed.putInt(hello.features());
            fixed.putLong(hello.epoch());
            fixed.putLong(hello.session());
            mac.update(fixed.array());
            updateString(mac, hello.exportName());
            updateString(mac, hello.nodeId());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    private static void updateString(Mac mac, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        mac.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
        mac.update(bytes);
    }
}
