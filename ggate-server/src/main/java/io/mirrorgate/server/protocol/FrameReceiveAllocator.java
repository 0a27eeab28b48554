package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The receive allocator of a ggate channel: while its decoder assembles a large frame, a socket
 * read goes straight into the free space of the frame's buffer ({@link FrameCumulator#lend()}),
 * and the decoder takes the bytes where they are; otherwise the read gets a buffer from {@code
 * delegate} as usual. How much to read and when to stop reading stay the delegate's decisions.
 * One handle per channel, used on its event loop only.
 */
final class FrameReceiveAllocator implements RecvByteBufAllocator {
    private final RecvByteBufAllocator delegate;
    private final FrameCumulator cumulator;

    FrameReceiveAllocator(RecvByteBufAllocator delegate, FrameCumulator cumulator) {
        this.delegate = delegate;
        this.cumulator = cumulator;
    }

    @Override
    public Handle newHandle() {
        return new FrameHandle(delegate.newHandle(), cumulator);
    }

    private static final class FrameHandle extends DelegatingHandle implements ExtendedHandle {
        private final FrameCumulator cumulator;

        FrameHandle(Handle delegate, FrameCumulator cumulator) {
            super(delegate);
            this.cumulator = cumulator;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            ByteBuf view = cumulator.lend();
            return view != null ? view : super.allocate(alloc);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return delegate() instanceof ExtendedHandle extended
                    ? extended.continueReading(maybeMoreDataSupplier)
                    : delegate().continueReading();
        }
    }
}
