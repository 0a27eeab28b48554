package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * A channel's socket reads in two phases: as {@code first} says until {@link #advance}, then as
 * {@code second} says. Netty asks a channel's receive allocator for a handle once, at the first
 * read, and keeps it; a protocol whose phases read differently (the NBD server: one small read
 * per turn while options are haggled, then large reads into the frames' buffers) must switch
 * inside that handle, not by setting another allocator. The switch takes effect when the next
 * read loop starts, so one loop never mixes the two handles' counts. One instance per channel.
 */
public final class PhasedReceiveAllocator implements RecvByteBufAllocator {
    private final RecvByteBufAllocator first;
    private final RecvByteBufAllocator second;
    private volatile boolean advanced;

    public PhasedReceiveAllocator(RecvByteBufAllocator first, RecvByteBufAllocator second) {
        this.first = first;
        this.second = second;
    }

    /** From the next read loop on, reads are {@code second}'s. */
    public void advance() {
        advanced = true;
    }

    @Override
    public Handle newHandle() {
        return new PhasedHandle(extended(first.newHandle()), extended(second.newHandle()));
    }

    private static ExtendedHandle extended(Handle handle) {
        if (handle instanceof ExtendedHandle extended) {
            return extended;
        }
        throw new IllegalArgumentException(handle.getClass().getName()
                + " (expected: a RecvByteBufAllocator.ExtendedHandle, as Netty's own allocators give)");
    }

    private final class PhasedHandle implements ExtendedHandle {
        private final ExtendedHandle later;
        private ExtendedHandle current;

        PhasedHandle(ExtendedHandle first, ExtendedHandle later) {
            this.current = first;
            this.later = later;
        }

        @Override
        public void reset(ChannelConfig config) {
            if (advanced) {
                current = later;
            }
            current.reset(config);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return current.allocate(alloc);
        }

        @Override
        public int guess() {
            return current.guess();
        }

        @Override
        public void incMessagesRead(int numMessages) {
            current.incMessagesRead(numMessages);
        }

        @Override
        public void lastBytesRead(int bytes) {
            current.lastBytesRead(bytes);
        }

        @Override
        public int lastBytesRead() {
            return current.lastBytesRead();
        }

        @Override
        public void attemptedBytesRead(int bytes) {
            current.attemptedBytesRead(bytes);
        }

        @Override
        public int attemptedBytesRead() {
            return current.attemptedBytesRead();
        }

        @Override
        public boolean continueReading() {
            return current.continueReading();
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return current.continueReading(maybeMoreDataSupplier);
        }

        @Override
        public void readComplete() {
            current.readComplete();
        }
    }
}
