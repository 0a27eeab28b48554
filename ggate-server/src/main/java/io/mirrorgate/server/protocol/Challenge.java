package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The server's answer to a hello: its version and its nonce.
 *
 * <pre>
 * +-------------------------------+-------------------------------+
 * |        version (u16)          |        reserved (u16)         |
 * +-------------------------------+-------------------------------+
 * |                     server nonce (32 bytes)                   |
 * +---------------------------------------------------------------+
 * </pre>
 */
public record Challenge(int version, byte[] serverNonce) implements GgateMessage {

    @Override
    public int type() {
        return GgateProtocol.TYPE_CHALLENGE;
    }

    void encodeBody(ByteBuf out) {
        out.writeShort(version);
        out.writeShort(0);
        out.writeBytes(serverNonce);
    }

    static Challenge decode(ByteBuf body) {
        WireStrings.need(body, 4 + GgateProtocol.NONCE_LENGTH, "challenge");
        int version = body.readUnsignedShort();
        body.skipBytes(2);
        byte[] nonce = new byte[GgateProtocol.NONCE_LENGTH];
        body.readBytes(nonce);
        WireStrings.end(body, "challenge");
        return new Challenge(version, nonce);
    }
}
