package io.mirrorgate.server.device;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The ranges of one {@link BlockDevice#writeScattered}: at least one, at most {@link
 * #MAX_RANGES}, each non-empty, in increasing order and disjoint. The data written holds their
 * bytes back to back, in the same order. Immutable.
 */
public final class Scatter {
    /** The most ranges one scattered write may have (its table is 12 bytes a range on the wire). */
    public static final int MAX_RANGES = 1024;

    private final long[] offsets;
    private final int[] lengths;
    private final long bytes;

    /**
     * The ranges {@code offsets[i], lengths[i]} (the arrays are copied); breaking a rule above
     * throws {@link IllegalArgumentException} naming it.
     */
    public Scatter(long[] offsets, int[] lengths) {
        if (offsets.length != lengths.length || offsets.length < 1 || offsets.length > MAX_RANGES) {
            throw new IllegalArgumentException("scatter of " + offsets.length + " offsets and "
                    + lengths.length + " lengths (expected: as many of each, 1 to " + MAX_RANGES + ")");
        }
        long total = 0;
        for (int i = 0; i < offsets.length; i++) {
            if (lengths[i] <= 0 || offsets[i] < 0) {
                throw new IllegalArgumentException("scatter range " + i + ": offset " + offsets[i]
                        + " length " + lengths[i] + " (expected: offset >= 0, length > 0)");
            }
            if (i > 0 && offsets[i] - offsets[i - 1] < lengths[i - 1]) {
                throw new IllegalArgumentException("scatter range " + i + " at offset " + offsets[i]
                        + " starts before the end of range " + (i - 1) + " ("
                        + (offsets[i - 1] + lengths[i - 1]) + "; expected: increasing, disjoint)");
            }
            total += lengths[i];
        }
        this.offsets = offsets.clone();
        this.lengths = lengths.clone();
        this.bytes = total;
    }

    public int count() {
        return offsets.length;
    }

    public long offset(int i) {
        return offsets[i];
    }

    public int length(int i) {
        return lengths[i];
    }

    /** The bytes of all ranges: what the data holds. */
    public long bytes() {
        return bytes;
    }

    /**
     * Why {@code device} cannot take this scatter with {@code dataBytes} bytes of data (every
     * range as {@link DeviceRequests#checkWrite}, and the data as long as the ranges), or null.
     */
    public MirrorgateException check(BlockDevice device, long dataBytes) {
        if (dataBytes != bytes) {
            return new MirrorgateException(ErrorCode.EINVAL, device.name() + ": scattered write of "
                    + dataBytes + " bytes for " + count() + " ranges of " + bytes
                    + " bytes (expected: as many)");
        }
        return checkRanges(device, true);
    }

    /**
     * Why {@code device} cannot read this scatter into one buffer (every range as {@link
     * DeviceRequests#check}, and at most {@link Integer#MAX_VALUE} bytes in all), or null.
     */
    public MirrorgateException checkRead(BlockDevice device) {
        MirrorgateException refused = checkRanges(device, false);
        if (refused == null && bytes > Integer.MAX_VALUE) {
            refused = new MirrorgateException(ErrorCode.EINVAL, device.name() + ": scattered read of "
                    + bytes + " bytes (expected: at most " + Integer.MAX_VALUE + ")");
        }
        return refused;
    }

    private MirrorgateException checkRanges(BlockDevice device, boolean write) {
        for (int i = 0; i < offsets.length; i++) {
            MirrorgateException refused = write ? DeviceRequests.checkWrite(device, offsets[i], lengths[i])
                    : DeviceRequests.check(device, offsets[i], lengths[i]);
            if (refused != null) {
                return refused;
            }
        }
        return null;
    }

    /**
     * The buffers of {@code parts} joined in order into one (a composite: no copy), once all
     * completed; if one failed, every buffer that did arrive is released and the first failure
     * is passed on.
     */
    public static CompletableFuture<ByteBuf> join(List<CompletableFuture<ByteBuf>> parts) {
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]))
                .handle((v, error) -> {
                    if (error != null) {
                        parts.forEach(p -> p.thenAccept(ByteBuf::release));
                        throw error instanceof RuntimeException r ? r
                                : new MirrorgateException(ErrorCode.EIO, error.getMessage(), error);
                    }
                    CompositeByteBuf joined = Unpooled.compositeBuffer(parts.size());
                    parts.forEach(p -> joined.addComponent(true, p.join()));
                    return joined;
                });
    }

    @Override
    public String toString() {
        return count() + " ranges, " + bytes + " bytes, from offset " + offsets[0]
                + (count() > 1 ? " to " + (offsets[count() - 1] + lengths[count() - 1]) : "")
                + (count() <= 4 ? " " + Arrays.toString(offsets) : "");
    }
}
