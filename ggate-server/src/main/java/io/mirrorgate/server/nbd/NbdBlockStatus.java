package io.mirrorgate.server.nbd;

import io.mirrorgate.server.nbdprotocol.NbdConstants;
import io.mirrorgate.server.device.BlockDevice;
import io.mirrorgate.server.device.Extent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * NBD_CMD_BLOCK_STATUS for {@code base:allocation}: asks the device for the extents of the
 * request (widened to whole blocks, so an unaligned request is answered too) and encodes the
 * payload of one NBD_REPLY_TYPE_BLOCK_STATUS chunk.
 *
 * <pre>
 * +---------------------------------+
 * | u32 metadata context id         |
 * | per extent: u32 length,         |
 * |             u32 flags           |  HOLE (bit 0), ZERO (bit 1)
 * +---------------------------------+
 * </pre>
 *
 * The extents start at the request's offset and cover at most its length (the device may answer
 * less: the client asks again from where the answer ends); with REQ_ONE there is exactly one.
 */
final class NbdBlockStatus {
    /** The longest descriptor: the largest u32 that is a multiple of every block size. */
    private static final long MAX_DESCRIPTOR = 0xFFFF_F000L;

    private NbdBlockStatus() {}

    /** The chunk's payload for {@code [offset, offset + length)}; the caller releases it. */
    static CompletableFuture<ByteBuf> query(BlockDevice device, long offset, long length,
            boolean reqOne, ByteBufAllocator alloc) {
        long blockSize = device.blockSize();
        long start = offset - offset % blockSize;
        long end = Math.min(device.size(), ceil(offset + length, blockSize));
        return device.extents(start, end - start)
                .thenApply(extents -> encode(extents, offset, offset + length, reqOne, alloc));
    }

    /** NBD state flags of an allocation. */
    static int flags(Extent.Allocation allocation) {
        return switch (allocation) {
            case DATA -> 0;
            case ZERO -> NbdConstants.STATE_ZERO;
            case HOLE -> NbdConstants.STATE_HOLE | NbdConstants.STATE_ZERO;
        };
    }

    private static ByteBuf encode(List<Extent> extents, long from, long to, boolean reqOne,
            ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(4 + 8 * Math.min(extents.size() + 1, 64));
        out.writeInt(NbdConstants.CONTEXT_ID_ALLOCATION);
        int lastFlags = -1;
        int lastIndex = -1;
        for (Extent e : extents) {
            long s = Math.max(e.offset(), from);
            long t = Math.min(e.end(), to);
            if (t <= s) {
                continue;
            }
            int flags = flags(e.allocation());
            if (flags == lastFlags && out.getUnsignedInt(lastIndex) + (t - s) <= MAX_DESCRIPTOR) {
                out.setInt(lastIndex, (int) (out.getUnsignedInt(lastIndex) + (t - s)));
                continue;
            }
            while (t > s) {
                long n = Math.min(t - s, MAX_DESCRIPTOR);
                lastIndex = out.writerIndex();
                lastFlags = flags;
                out.writeInt((int) n).writeInt(flags);
                s += n;
                if (reqOne) {
                    return out;
                }
            }
        }
        return out;
    }

    private static long ceil(long value, long unit) {
        return (value + unit - 1) / unit * unit;
    }
}
