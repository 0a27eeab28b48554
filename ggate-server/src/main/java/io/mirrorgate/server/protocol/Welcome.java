package io.mirrorgate.server.protocol;

import io.mirrorgate.common.error.ErrorCode;
import io.netty.buffer.ByteBuf;

/**
 * The server's last handshake frame: OK with the export's figures and the server's proof of the
 * key, or an error code with its reason (then the server closes the connection).
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                  error (u32 errno, 0 = OK)                    |
 * +---------------------------------------------------------------+
 * |                  negotiated features (u32)                    |
 * +---------------------------------------------------------------+
 * |                  export size in bytes (u64)                   |
 * +---------------------------------------------------------------+
 * |                  block size (u32)                             |
 * +---------------------------------------------------------------+
 * |                  max request size (u32)                       |
 * +---------------------------------------------------------------+
 * |                  export generation (u64)                      |
 * +---------------------------------------------------------------+
 * |                  highest epoch seen for the export (u64)      |
 * +---------------------------------------------------------------+
 * |      server proof (32 bytes, zeroes unless authenticated)     |
 * +-------------------------------+-------------------------------+
 * |    reason length (u16)        |  reason (UTF-8) ...           |
 * +-------------------------------+-------------------------------+
 * </pre>
 */
public record Welcome(ErrorCode error, String reason, int features, long size, int blockSize,
        int maxRequestSize, long generation, long highestEpoch, byte[] serverProof)
        implements GgateMessage {

    /** A refusal: error code and reason, no figures, no proof. */
    public static Welcome refusal(ErrorCode error, String reason) {
        return new Welcome(error, reason, 0, 0, 0, 0, 0, 0, new byte[GgateProtocol.PROOF_LENGTH]);
    }

    @Override
    public int type() {
        return GgateProtocol.TYPE_WELCOME;
    }

    void encodeBody(ByteBuf out) {
        out.writeInt(error.errno());
        out.writeInt(features);
        out.writeLong(size);
        out.writeInt(blockSize);
        out.writeInt(maxRequestSize);
        out.writeLong(generation);
        out.writeLong(highestEpoch);
        out.writeBytes(serverProof);
        WireStrings.write(out, WireStrings.cut(reason, GgateProtocol.MAX_REASON_LENGTH),
                GgateProtocol.MAX_REASON_LENGTH, "reason");
    }

    static Welcome decode(ByteBuf body) {
        WireStrings.need(body, 40 + GgateProtocol.PROOF_LENGTH, "welcome");
        ErrorCode error = ErrorCode.fromErrno(body.readInt());
        int features = body.readInt();
        long size = body.readLong();
        int blockSize = body.readInt();
        int maxRequestSize = body.readInt();
        long generation = body.readLong();
        long highestEpoch = body.readLong();
        byte[] proof = new byte[GgateProtocol.PROOF_LENGTH];
        body.readBytes(proof);
        String reason = WireStrings.read(body, GgateProtocol.MAX_REASON_LENGTH, "reason");
        WireStrings.end(body, "welcome");
        return new Welcome(error, reason, features, size, blockSize, maxRequestSize, generation,
                highestEpoch, proof);
    }
}
