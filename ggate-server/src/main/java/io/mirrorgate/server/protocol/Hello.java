package io.mirrorgate.server.protocol;

import io.mirrorgate.server.export.Access;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.CorruptedFrameException;

/**
 * The client's first frame: protocol version, requested access, feature flags, the client's
 * epoch (fencing token), its session id, its nonce, the export it wants (its path) and its node
 * id. The session id is random per client device and kept across reconnects (0: none): a new
 * connection of a session supersedes the session's older connections, and is admitted only
 * once their requests in flight have finished, so a re-sent write can never be overtaken by
 * its stale first copy.
 *
 * <pre>
 *  0               1               2               3
 * +---------------+---------------+---------------+---------------+
 * |        version (u16)          |  access (u8)  |   reserved    |
 * +---------------+---------------+---------------+---------------+
 * |                     features (u32)                            |
 * +---------------------------------------------------------------+
 * |                     epoch (u64)                               |
 * +---------------------------------------------------------------+
 * |                     session id (u64)                          |
 * +---------------------------------------------------------------+
 * |                     client nonce (32 bytes)                   |
 * +-------------------------------+-------------------------------+
 * |    export length (u16)        |  export path (UTF-8) ...      |
 * +-------------------------------+-------------------------------+
 * |    node id length (u16)       |  node id (UTF-8) ...          |
 * +-------------------------------+-------------------------------+
 * </pre>
 * Access codes: 1 RO, 2 WO, 3 RW.
 */
public record Hello(int version, Access access, int features, long epoch, long session, byte[] clientNonce,
        String exportName, String nodeId) implements GgateMessage {

    @Override
    public int type() {
        return GgateProtocol.TYPE_HELLO;
    }

    void encodeBody(ByteBuf out) {
        out.writeShort(version);
        out.writeByte(accessCode(access));
        out.writeByte(0);
        out.writeInt(features);
        out.writeLong(epoch);
        out.writeLong(session);
        out.writeBytes(clientNonce);
        WireStrings.write(out, exportName, GgateProtocol.MAX_NAME_LENGTH, "export");
        WireStrings.write(out, nodeId, GgateProtocol.MAX_NAME_LENGTH, "node id");
    }

    static Hello decode(ByteBuf body) {
        WireStrings.need(body, 24 + GgateProtocol.NONCE_LENGTH, "hello");
        int version = body.readUnsignedShort();
        Access access = accessOf(body.readUnsignedByte());
        body.skipBytes(1);
        int features = body.readInt();
        long epoch = body.readLong();
        long session = body.readLong();
        byte[] nonce = new byte[GgateProtocol.NONCE_LENGTH];
        body.readBytes(nonce);
        String export = WireStrings.read(body, GgateProtocol.MAX_NAME_LENGTH, "export");
        String node = WireStrings.read(body, GgateProtocol.MAX_NAME_LENGTH, "node id");
        WireStrings.end(body, "hello");
        return new Hello(version, access, features, epoch, session, nonce, export, node);
    }

    /** The wire code of an access mode. */
    public static int accessCode(Access access) {
        return switch (access) {
            case RO -> 1;
            case WO -> 2;
            case RW -> 3;
        };
    }

    static Access accessOf(int code) {
        return switch (code) {
            case 1 -> Access.RO;
            case 2 -> Access.WO;
            case 3 -> Access.RW;
            default -> throw new CorruptedFrameException(
                    "access: " + code + " (expected: 1 RO, 2 WO or 3 RW)");
        };
    }
}
