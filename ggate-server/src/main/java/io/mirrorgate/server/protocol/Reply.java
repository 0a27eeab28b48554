package io.mirrorgate.server.protocol;

import io.mirrorgate.common.error.ErrorCode;
import io.netty.buffer.ByteBuf;

/**
 * The one reply to a request, matched by sequence number (replies may come out of order): an
 * error code (errno, 0 = OK), an optional reason, and for a read the data with its CRC32C
 * (over the uncompressed bytes). The message owns the payload.
 *
 * <pre>
 * frame flags: COMPRESSED (0x02: the payload is LZ4-compressed)
 * +---------------------------------------------------------------+
 * |                 sequence number (u64)                         |
 * +---------------------------------------------------------------+
 * |                 error (u32 errno, 0 = OK)                     |
 * +---------------------------------------------------------------+
 * |                 payload CRC32C (u32)                          |
 * +---------------------------------------------------------------+
 * |                 payload length, uncompressed (u32)            |
 * +-------------------------------+-------------------------------+
 * |    reason length (u16)        |  reason (UTF-8) ...           |
 * +-------------------------------+-------------------------------+
 * |                 payload ...                                   |
 * +---------------------------------------------------------------+
 * </pre>
 */
public record Reply(long sequence, ErrorCode error, String reason, int crc, ByteBuf payload)
        implements GgateMessage, PayloadMessage {

    @Override
    public int type() {
        return GgateProtocol.TYPE_REPLY;
    }

    public boolean ok() {
        return error == ErrorCode.OK;
    }

    /** Whether the payload's CRC32C matches the one the sender computed. */
    public boolean crcMatches() {
        return payload == null || Payloads.crc32c(payload) == crc;
    }

    public static Reply ok(long sequence) {
        return new Reply(sequence, ErrorCode.OK, "", 0, null);
    }

    /** A successful reply carrying {@code data}, which the reply now owns. */
    public static Reply ok(long sequence, ByteBuf data) {
        return new Reply(sequence, ErrorCode.OK, "", Payloads.crc32c(data), data);
    }

    public static Reply error(long sequence, ErrorCode error, String reason) {
        return new Reply(sequence, error, reason, 0, null);
    }
}
