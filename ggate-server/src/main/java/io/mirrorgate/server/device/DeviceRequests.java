package io.mirrorgate.server.device;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.util.concurrent.CompletableFuture;

/** The validation every {@link BlockDevice} applies to a request before touching anything. */
public final class DeviceRequests {
    private DeviceRequests() {}

    /**
     * Checks that {@code [offset, offset + length)} lies inside the device and is aligned to its
     * block size. Returns null when the request is valid, otherwise the failure to report.
     */
    public static MirrorgateException check(BlockDevice device, long offset, long length) {
        return check(device.name(), device.size(), device.blockSize(), offset, length);
    }

    /** As {@link #check(BlockDevice, long, long)}, for a device described by its figures. */
    public static MirrorgateException check(
            String name, long size, int blockSize, long offset, long length) {
        if (offset < 0 || length < 0) {
            return new MirrorgateException(ErrorCode.EINVAL, String.format(
                    "%s: negative offset %d or length %d", name, offset, length));
        }
        if (offset > size || length > size - offset) {
            return new MirrorgateException(ErrorCode.EOVERFLOW, String.format(
                    "%s: offset %d + length %d is past the end of the device (size: %d)",
                    name, offset, length, size));
        }
        if ((offset % blockSize) != 0 || (length % blockSize) != 0) {
            return new MirrorgateException(ErrorCode.EINVAL, String.format(
                    "%s: offset %d and length %d must be multiples of the block size %d",
                    name, offset, length, blockSize));
        }
        return null;
    }

    /** Checks an {@link BlockDevice#extents} request: as {@link #check}, with a length > 0. */
    public static MirrorgateException checkExtents(BlockDevice device, long offset, long length) {
        if (length == 0) {
            return new MirrorgateException(ErrorCode.EINVAL, String.format(
                    "%s: allocation of 0 bytes at offset %d (expected: length > 0)",
                    device.name(), offset));
        }
        return check(device, offset, length);
    }

    /** Checks a mutating request: as {@link #check}, and refuses a read-only device. */
    public static MirrorgateException checkWrite(BlockDevice device, long offset, long length) {
        if (device.isReadOnly()) {
            return new MirrorgateException(ErrorCode.EROFS,
                    device.name() + ": device is read-only");
        }
        return check(device, offset, length);
    }

    /** A future already failed with {@code failure}. */
    public static <T> CompletableFuture<T> failed(Throwable failure) {
        return CompletableFuture.failedFuture(failure);
    }
}
