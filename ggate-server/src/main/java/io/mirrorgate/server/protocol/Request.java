package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A request. The payload (write data, or the generation of a set-generation) is owned by the
 * message; {@code length} is the uncompressed payload length for commands with a payload and
 * the range length otherwise; {@code crc} is the CRC32C of the uncompressed payload (0 without).
 *
 * <pre>
 * frame flags: FUA (0x01), COMPRESSED (0x02: the payload is LZ4-compressed),
 *              NO_HOLE (0x04) and FAST_ZERO (0x08): WRITE_ZEROES, with FEATURE_ALLOCATION
 * +-------------------------------+-------------------------------+
 * |        command (u16)          |        reserved (u16)         |
 * +-------------------------------+-------------------------------+
 * |                 payload CRC32C (u32)                          |
 * +---------------------------------------------------------------+
 * |                 sequence number (u64)                         |
 * +---------------------------------------------------------------+
 * |                 offset (u64)                                  |
 * +---------------------------------------------------------------+
 * |                 length (u32)                                  |
 * +---------------------------------------------------------------+
 * |       payload (WRITE, SET_GENERATION, WRITE_SCATTERED) ...    |
 * +---------------------------------------------------------------+
 * </pre>
 * Commands: 1 READ, 2 WRITE, 3 FLUSH, 4 TRIM, 5 WRITE_ZEROES, 6 SET_GENERATION, 7 DISCONNECT,
 * 8 PEER_INFO, 9 BLOCK_STATUS, 10 WRITE_SCATTERED.
 */
public record Request(int commandCode, int flags, long sequence, long offset, long length,
        int crc, ByteBuf payload) implements GgateMessage, PayloadMessage {

    @Override
    public int type() {
        return GgateProtocol.TYPE_REQUEST;
    }

    /** The command, or null when the code is unknown. */
    public Command command() {
        return Command.fromCode(commandCode);
    }

    public boolean fua() {
        return (flags & GgateProtocol.FLAG_FUA) != 0;
    }

    /** Whether the payload's CRC32C matches the one the sender computed. */
    public boolean crcMatches() {
        return payload == null || Payloads.crc32c(payload) == crc;
    }

    /** A copy of this request with a retained duplicate of the payload, for sending again. */
    public Request retainedDuplicate() {
        return new Request(commandCode, flags, sequence, offset, length, crc,
                payload == null ? null : payload.retainedDuplicate());
    }

    public static Request read(long sequence, long offset, int length) {
        return new Request(Command.READ.code(), 0, sequence, offset, length, 0, null);
    }

    /** A write of the readable bytes of {@code data}, which the request now owns. */
    public static Request write(long sequence, long offset, ByteBuf data, boolean fua) {
        return new Request(Command.WRITE.code(), fua ? GgateProtocol.FLAG_FUA : 0, sequence,
                offset, data.readableBytes(), Payloads.crc32c(data), data);
    }

    public static Request flush(long sequence) {
        return new Request(Command.FLUSH.code(), 0, sequence, 0, 0, 0, null);
    }

    public static Request trim(long sequence, long offset, long length) {
        return new Request(Command.TRIM.code(), 0, sequence, offset, length, 0, null);
    }

    public static Request writeZeroes(long sequence, long offset, long length, boolean fua) {
        return new Request(Command.WRITE_ZEROES.code(), fua ? GgateProtocol.FLAG_FUA : 0,
                sequence, offset, length, 0, null);
    }

    public static Request setGeneration(long sequence, long generation, ByteBufAllocator alloc) {
        ByteBuf payload = alloc.buffer(8).writeLong(generation);
        return new Request(Command.SET_GENERATION.code(), 0, sequence, 0, 8,
                Payloads.crc32c(payload), payload);
    }

    public static Request disconnect(long sequence) {
        return new Request(Command.DISCONNECT.code(), 0, sequence, 0, 0, 0, null);
    }
}
