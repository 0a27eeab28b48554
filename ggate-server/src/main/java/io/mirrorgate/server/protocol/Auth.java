package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The client's proof that it knows the shared key ({@link HandshakeAuth#clientProof}).
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |               HMAC-SHA256 client proof (32 bytes)             |
 * +---------------------------------------------------------------+
 * </pre>
 */
public record Auth(byte[] proof) implements GgateMessage {

    @Override
    public int type() {
        return GgateProtocol.TYPE_AUTH;
    }

    void encodeBody(ByteBuf out) {
        out.writeBytes(proof);
    }

    static Auth decode(ByteBuf body) {
        WireStrings.need(body, GgateProtocol.PROOF_LENGTH, "auth");
        byte[] proof = new byte[GgateProtocol.PROOF_LENGTH];
        body.readBytes(proof);
        WireStrings.end(body, "auth");
        return new Auth(proof);
    }
}
