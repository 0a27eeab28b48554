package io.mirrorgate.server.protocol;

import io.mirrorgate.server.device.Extent;
import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of a {@link Command#BLOCK_STATUS} reply: the extents of the requested range, in
 * order and contiguous from the request's offset, at least one, covering at most its length.
 *
 * <pre>
 * per extent (12 bytes):
 * +---------------------------------------------------------------+
 * |                 length (u64, > 0)                             |
 * +---------------------------------------------------------------+
 * |                 allocation (u32): 0 data, 1 zero, 2 hole      |
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class ExtentList {
    /** Bytes per extent on the wire. */
    public static final int ENTRY_LENGTH = 12;

    private ExtentList() {}

    /** Encodes at most {@code maxBytes / 12} of {@code extents} (at least one). */
    public static ByteBuf encode(List<Extent> extents, int maxBytes, ByteBufAllocator alloc) {
        int n = Math.max(1, Math.min(extents.size(), maxBytes / ENTRY_LENGTH));
        ByteBuf out = alloc.buffer(n * ENTRY_LENGTH);
        for (int i = 0; i < n; i++) {
            Extent e = extents.get(i);
            out.writeLong(e.length()).writeInt(e.allocation().ordinal());
        }
        return out;
    }

    /**
     * Decodes a reply for {@code [offset, offset + length)} on a device of {@code blockSize};
     * a payload that breaks the rules above fails with {@code EBADMSG}.
     */
    public static List<Extent> decode(ByteBuf payload, long offset, long length, int blockSize) {
        int count = payload.readableBytes() / ENTRY_LENGTH;
        if (count == 0 || payload.readableBytes() % ENTRY_LENGTH != 0) {
            throw bad("payload of " + payload.readableBytes() + " bytes (expected: a positive"
                    + " multiple of " + ENTRY_LENGTH + ")");
        }
        Extent.Allocation[] kinds = Extent.Allocation.values();
        List<Extent> out = new ArrayList<>(count);
        long pos = offset;
        long end = offset + length;
        for (int i = 0; i < count; i++) {
            int at = payload.readerIndex() + i * ENTRY_LENGTH;
            long n = payload.getLong(at);
            int kind = payload.getInt(at + 8);
            if (n <= 0 || n > end - pos || n % blockSize != 0 || kind < 0 || kind >= kinds.length) {
                throw bad(String.format("extent %d: length %d allocation %d at offset %d"
                        + " (expected: a multiple of %d up to %d, allocation 0 to %d)", i, n, kind,
                        pos, blockSize, end - pos, kinds.length - 1));
            }
            out.add(new Extent(pos, n, kinds[kind]));
            pos += n;
        }
        return out;
    }

    private static MirrorgateException bad(String what) {
        return new MirrorgateException(ErrorCode.EBADMSG, "block status reply: " + what);
    }
}
