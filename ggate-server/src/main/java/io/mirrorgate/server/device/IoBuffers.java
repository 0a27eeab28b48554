package io.mirrorgate.server.device;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;

/** Direct buffers for positional I/O, page-aligned when the device uses {@code O_DIRECT}. */
final class IoBuffers {
    /** The buffer alignment {@code O_DIRECT} gets: a page, enough for any logical block size. */
    static final int ALIGNMENT = 4096;

    private static final ByteBufAllocator ALLOCATOR = BufferPool.ALLOCATOR;

    private IoBuffers() {}

    /**
     * A pooled direct buffer of exactly {@code length} readable bytes (content undefined), whose
     * first byte sits on a 4096-byte boundary when {@code aligned}. Releasing it releases the
     * whole allocation.
     */
    static ByteBuf allocate(int length, boolean aligned) {
        if (!aligned) {
            return ALLOCATOR.directBuffer(length, length).writerIndex(length);
        }
        ByteBuf raw = ALLOCATOR.directBuffer(length + ALIGNMENT, length + ALIGNMENT);
        int misalignment = raw.nioBuffer(0, 1).alignmentOffset(0, ALIGNMENT);
        int pad = misalignment == 0 ? 0 : ALIGNMENT - misalignment;
        return raw.slice(pad, length);
    }

    /** As {@link #allocate}, filled with zeroes. */
    static ByteBuf zeroes(int length, boolean aligned) {
        ByteBuf buf = allocate(length, aligned);
        buf.setZero(0, length);
        return buf;
    }

    /**
     * Whether {@code part} starts on a page boundary, so that it can go to an {@code O_DIRECT}
     * descriptor without a copy (its length is a multiple of the block size: validated).
     */
    static boolean isAligned(ByteBuffer part) {
        return part.isDirect() && part.alignmentOffset(part.position(), ALIGNMENT) == 0;
    }
}
