package io.mirrorgate.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * A message that may carry a payload buffer. The message owns the buffer: whoever consumes the
 * message (the encoder, a handler) releases it exactly once, and Netty releases it when a write
 * fails or a message reaches the end of a pipeline. Without a payload, reference counting is a
 * no-op.
 */
public interface PayloadMessage extends ReferenceCounted {

    /** The payload, or null when there is none. */
    ByteBuf payload();

    @Override
    default int refCnt() {
        return payload() == null ? 1 : payload().refCnt();
    }

    @Override
    default ReferenceCounted retain() {
        return retain(1);
    }

    @Override
    default ReferenceCounted retain(int increment) {
        if (payload() != null) {
            payload().retain(increment);
        }
        return this;
    }

    @Override
    default ReferenceCounted touch() {
        return touch(null);
    }

    @Override
    default ReferenceCounted touch(Object hint) {
        if (payload() != null) {
            payload().touch(hint);
        }
        return this;
    }

    @Override
    default boolean release() {
        return release(1);
    }

    @Override
    default boolean release(int decrement) {
        return payload() != null && payload().release(decrement);
    }
}
