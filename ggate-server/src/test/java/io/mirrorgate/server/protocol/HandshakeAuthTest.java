package io.mirrorgate.server.protocol;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mirrorgate.server.export.Access;
import org.junit.jupiter.api.Test;

class HandshakeAuthTest {
    private static final byte[] KEY = "0123456789abcdef".getBytes();

    @Test
    void prepareAcceptsAKeyAndRefusesAnEmptyOneAtOnce() {
        assertDoesNotThrow(() -> HandshakeAuth.prepare(KEY));
        assertThrows(IllegalArgumentException.class, () -> HandshakeAuth.prepare(new byte[0]));
    }

    @Test
    void proofsDependOnTheKeyAndTheSide() {
        Hello hello = new Hello(GgateProtocol.VERSION, Access.RW, 0, 1, 2, HandshakeAuth.nonce(),
                "/e", "n");
        byte[] nonce = HandshakeAuth.nonce();
        byte[] client = HandshakeAuth.clientProof(KEY, hello, nonce);
        assertTrue(HandshakeAuth.matches(client, HandshakeAuth.clientProof(KEY.clone(), hello, nonce)));
        assertFalse(HandshakeAuth.matches(client, HandshakeAuth.serverProof(KEY, hello, nonce)));
        assertFalse(HandshakeAuth.matches(client,
                HandshakeAuth.clientProof("fedcba9876543210".getBytes(), hello, nonce)));
    }
}
