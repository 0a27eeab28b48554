package io.mirrorgate.server.protocol;

import io.mirrorgate.server.device.BufferPool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * The cumulator of every {@link LargeFrameDecoder} (the ggate decoder and the NBD server's):
 * Netty's merge cumulator, except while a large frame (at least {@value #LARGE_FRAME} bytes) is
 * being assembled. Merging grows the cumulation by
 * doubling, copying what it holds at every step, into a new buffer whenever the previous frame's
 * payload is still referenced; for a 1 MiB frame that is several MiB of copies and, above the
 * channel allocator's pooled sizes, freshly zeroed memory for every frame. Here, once the
 * decoder has seen a large frame's header (and checked its length against the limit), the
 * cumulation is replaced by one pooled direct buffer with room for the whole frame plus one more
 * read, so that the rest of the frame is copied once, in place. The buffer is placed so that the
 * frame's payload starts on a 4096-byte boundary: an {@code O_DIRECT} device writes it without
 * another copy. With {@link FrameReceiveAllocator} as the channel's receive allocator, the
 * socket reads the rest of the frame straight into that buffer, and nothing is copied at all.
 *
 * <p>Memory is bounded by what was received, not by what a header claims: a buffer is at most
 * twice the bytes buffered plus {@value #MIN_STEP} bytes, so a frame larger than that grows in
 * steps. Confined to the channel's event loop, like the decoder.
 */
public final class FrameCumulator implements ByteToMessageDecoder.Cumulator {
    /** Frames from this length on get a buffer sized for them. */
    static final int LARGE_FRAME = 64 * 1024;
    /** Room for one more socket read beyond the frame. */
    static final int SLACK = SocketTuning.MAX_READ;
    /** The growth that is always allowed beyond twice what was received. */
    static final int MIN_STEP = 2 * 1024 * 1024;
    /** The payload alignment, the page size that {@code O_DIRECT} wants. */
    static final int ALIGNMENT = 4096;

    private static final ByteBufAllocator POOLED = BufferPool.ALLOCATOR;

    private int frameLength;
    private int payloadOffset;
    /** The decoder's cumulation while it is a buffer sized here for the pending frame. */
    private ByteBuf target;
    /** The last view of {@link #target}'s free space lent to a socket read, and where it starts. */
    private ByteBuf lent;
    private int lentAt;
    /** Whether socket reads may land in {@link #target} ({@link #lendReads}). */
    private boolean lending = true;

    /**
     * The frame at the reader index is {@code frameLength} bytes long (header included, already
     * checked against the limit) and its payload starts {@code payloadOffset} bytes into it;
     * {@code 0, 0} when no frame is pending (the frame is complete, the decoder failed).
     */
    public void expect(int frameLength, int payloadOffset) {
        this.frameLength = frameLength;
        this.payloadOffset = payloadOffset;
        if (frameLength == 0) {
            target = null;
            lent = null;
        }
    }

    /** The decoder let go of its cumulation (channel closed, handler removed). */
    public void reset() {
        expect(0, 0);
    }

    /**
     * Whether socket reads may be lent the frame's buffer: not while the reads carry TLS records.
     * A channel's receive allocator is fixed at its first read (Netty keeps the handle), so a
     * protocol that turns TLS on or off mid-stream switches here instead of replacing it.
     */
    public void lendReads(boolean lend) {
        lending = lend;
        if (!lend) {
            lent = null;
        }
    }

    /**
     * A retained view of the free space of the buffer being filled with a large frame, for the
     * next socket read to land in directly (see {@link FrameReceiveAllocator}); null when no such
     * buffer is being filled. When the read comes back through {@link #cumulate}, its bytes are
     * taken in place, without a copy.
     */
    ByteBuf lend() {
        ByteBuf t = target;
        if (!lending || t == null || t.writableBytes() < ALIGNMENT) {
            return null;
        }
        lentAt = t.writerIndex();
        lent = t.retainedSlice(lentAt, t.writableBytes()).clear();
        return lent;
    }

    /**
     * A receive allocator for the decoder's channel that lets socket reads land directly in the
     * buffer of a large frame being assembled (no copy), and uses {@code delegate} otherwise. Not
     * for a channel whose reads carry TLS records (they are not frame bytes).
     */
    public RecvByteBufAllocator receiveAllocator(RecvByteBufAllocator delegate) {
        return new FrameReceiveAllocator(delegate, this);
    }

    @Override
    public ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        if (cumulation != target) {
            target = null;
        }
        if (in == lent) {
            lent = null;
            if (cumulation == target && cumulation.writerIndex() == lentAt
                    && in.readableBytes() <= cumulation.writableBytes()) {
                // the read landed right behind the buffered bytes: take it where it is
                cumulation.writerIndex(lentAt + in.readableBytes());
                in.release();
                return cumulation;
            }
        }
        int buffered = cumulation.readableBytes();
        int incoming = in.readableBytes();
        boolean fitsInPlace = cumulation.refCnt() == 1 && !cumulation.isReadOnly()
                && incoming <= cumulation.writableBytes();
        if (frameLength < LARGE_FRAME || buffered == 0 || buffered >= frameLength || fitsInPlace) {
            return ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
        }
        long total = (long) buffered + incoming;
        long wanted = Math.min((long) frameLength + SLACK, 2 * total + MIN_STEP);
        int capacity = (int) Math.min(Integer.MAX_VALUE - ALIGNMENT, Math.max(total, wanted));
        ByteBuf raw = POOLED.directBuffer(capacity + ALIGNMENT, capacity + ALIGNMENT);
        ByteBuf next;
        try {
            int misalignment = raw.nioBuffer(payloadOffset, 1).alignmentOffset(0, ALIGNMENT);
            int pad = misalignment == 0 ? 0 : ALIGNMENT - misalignment;
            next = raw.slice(pad, capacity).clear();
            next.writeBytes(cumulation, cumulation.readerIndex(), buffered);
            next.writeBytes(in, in.readerIndex(), incoming);
        } catch (RuntimeException | Error e) {
            raw.release();
            in.release();
            throw e;
        }
        in.release();
        cumulation.release();
        target = frameLength >= LARGE_FRAME ? next : null;
        return next;
    }
}
