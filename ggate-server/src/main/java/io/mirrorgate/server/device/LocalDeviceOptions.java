package io.mirrorgate.server.device;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;

/**
 * How a {@link LocalBlockDevice} is opened.
 *
 * @param readOnly open read-only; writes, trims and write-zeroes fail with {@code EROFS}
 * @param directIo open with {@code O_DIRECT} (bypass the page cache; 4096-aligned buffers)
 * @param ioThreads size of the device's I/O pool (blocking system calls run there)
 * @param maxQueued requests waiting for a pool thread before new ones fail with {@code ENOMEM}
 * @param blockSize logical block size override, or 0 for what the device says
 */
public record LocalDeviceOptions(
        boolean readOnly, boolean directIo, int ioThreads, int maxQueued, int blockSize) {
    public static final int DEFAULT_IO_THREADS = 4;
    public static final int DEFAULT_MAX_QUEUED = 1024;
    public static final int MAX_BLOCK_SIZE = 64 * 1024;

    /** Checks every figure; a bad one fails with {@code EINVAL} before anything is opened. */
    public LocalDeviceOptions {
        if (ioThreads < 1 || ioThreads > 256) {
            throw new MirrorgateException(ErrorCode.EINVAL,
                    "ioThreads: " + ioThreads + " (expected: 1..256)");
        }
        if (maxQueued < 1) {
            throw new MirrorgateException(ErrorCode.EINVAL,
                    "maxQueued: " + maxQueued + " (expected: >= 1)");
        }
        if (blockSize != 0 && (blockSize < 512 || blockSize > MAX_BLOCK_SIZE
                || Integer.bitCount(blockSize) != 1)) {
            throw new MirrorgateException(ErrorCode.EINVAL, "blockSize: " + blockSize
                    + " (expected: 0 for the device's own, or a power of two in 512.."
                    + MAX_BLOCK_SIZE + ")");
        }
    }

    /** Read-write, buffered, 4 I/O threads, 1024 queued requests, the device's block size. */
    public static LocalDeviceOptions defaults() {
        return new LocalDeviceOptions(false, false, DEFAULT_IO_THREADS, DEFAULT_MAX_QUEUED, 0);
    }

    public LocalDeviceOptions withReadOnly(boolean value) {
        return new LocalDeviceOptions(value, directIo, ioThreads, maxQueued, blockSize);
    }

    public LocalDeviceOptions withDirectIo(boolean value) {
        return new LocalDeviceOptions(readOnly, value, ioThreads, maxQueued, blockSize);
    }

    public LocalDeviceOptions withIoThreads(int value) {
        return new LocalDeviceOptions(readOnly, directIo, value, maxQueued, blockSize);
    }

    public LocalDeviceOptions withMaxQueued(int value) {
        return new LocalDeviceOptions(readOnly, directIo, ioThreads, value, blockSize);
    }

    public LocalDeviceOptions withBlockSize(int value) {
        return new LocalDeviceOptions(readOnly, directIo, ioThreads, maxQueued, value);
    }
}
