package io.mirrorgate.server.protocol;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.mirrorgate.server.device.Scatter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The payload of a {@link Command#WRITE_SCATTERED} request: a range table, then the ranges'
 * data back to back in the table's order. The CRC32C and the compression of the request cover
 * all of it.
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                 range count (u32, 1 to 1024)                  |
 * +---------------------------------------------------------------+
 * per range (12 bytes), in increasing offset order, disjoint:
 * |                 offset (u64)                                  |
 * |                 length (u32, > 0)                             |
 * +---------------------------------------------------------------+
 * |                 data (the sum of the lengths) ...             |
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class ScatterPayload {
    /** Bytes per range in the table. */
    public static final int ENTRY_LENGTH = 12;

    private ScatterPayload() {}

    /** The bytes of the table of {@code count} ranges (count included). */
    public static int tableLength(int count) {
        return 4 + count * ENTRY_LENGTH;
    }

    /** The table of {@code scatter}; the caller sends its data right after it. */
    public static ByteBuf table(Scatter scatter, ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(tableLength(scatter.count()));
        out.writeInt(scatter.count());
        for (int i = 0; i < scatter.count(); i++) {
            out.writeLong(scatter.offset(i)).writeInt(scatter.length(i));
        }
        return out;
    }

    /**
     * Reads the table at the start of {@code payload}, leaving its reader index at the data.
     * A table that breaks the rules above, or data not as long as its ranges, fails with
     * {@code EINVAL} (the frame itself was sound: the request gets an error reply).
     */
    public static Scatter decode(ByteBuf payload) {
        if (payload.readableBytes() < 4) {
            throw bad("payload of " + payload.readableBytes() + " bytes (expected: a range table)");
        }
        long count = payload.readUnsignedInt();
        if (count < 1 || count > Scatter.MAX_RANGES
                || payload.readableBytes() < count * ENTRY_LENGTH) {
            throw bad("range count " + count + " with " + payload.readableBytes()
                    + " bytes after it (expected: 1 to " + Scatter.MAX_RANGES + " ranges of "
                    + ENTRY_LENGTH + " bytes each, then their data)");
        }
        long[] offsets = new long[(int) count];
        int[] lengths = new int[(int) count];
        for (int i = 0; i < count; i++) {
            offsets[i] = payload.readLong();
            long length = payload.readUnsignedInt();
            // longer than any payload: -1 makes the constructor refuse it, naming the range
            lengths[i] = length > Integer.MAX_VALUE ? -1 : (int) length;
        }
        Scatter scatter;
        try {
            scatter = new Scatter(offsets, lengths);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        if (scatter.bytes() != payload.readableBytes()) {
            throw bad(scatter.count() + " ranges of " + scatter.bytes() + " bytes with "
                    + payload.readableBytes() + " bytes of data (expected: as many)");
        }
        return scatter;
    }

    private static MirrorgateException bad(String what) {
        return new MirrorgateException(ErrorCode.EINVAL, "scattered write: " + what);
    }
}
