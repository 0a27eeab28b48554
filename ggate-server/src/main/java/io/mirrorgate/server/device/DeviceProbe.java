package io.mirrorgate.server.device;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.LongLongByReference;
import jnr.posix.FileStat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What {@link DeviceFile#open} learns about a file or block device, and its open errors. */
final class DeviceProbe {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceProbe.class);
    private static final int SEEK_END = 2;
    private static final int EACCES = 13;
    private static final int EPERM = 1;
    private static final int ENOENT = 2;
    private static final int EISDIR = 21;
    private static final int EINVAL = 22;
    private static final int EROFS = 30;

    private DeviceProbe() {}

    /** Turns a failed {@code open(2)} into an error an operator can act on. */
    static MirrorgateException openFailure(String name, int errno, LocalDeviceOptions options) {
        String reason = LinuxCalls.describe(errno);
        switch (errno) {
            case ENOENT:
                return new MirrorgateException(ErrorCode.ENOENT, name + ": cannot open: " + reason
                        + " (expected: an existing regular file or block device)");
            case EISDIR:
                return notADevice(name, "a directory");
            case EACCES:
            case EPERM:
                return new MirrorgateException(ErrorCode.EACCES, name + ": cannot open "
                        + (options.readOnly() ? "read-only" : "read-write") + ": " + reason
                        + " (expected: permission to " + (options.readOnly() ? "read" : "read and"
                        + " write") + " it)");
            case EROFS:
                return new MirrorgateException(ErrorCode.EROFS, name + ": cannot open read-write: "
                        + reason + " (open it read-only instead)");
            case EINVAL:
                if (options.directIo()) {
                    return new MirrorgateException(ErrorCode.EINVAL, name
                            + ": cannot open with O_DIRECT: " + reason
                            + " (the filesystem may not support direct I/O; open without it)");
                }
                return LinuxCalls.failure(errno, name + ": cannot open");
            default:
                return LinuxCalls.failure(errno, name + ": cannot open");
        }
    }

    /** Refuses anything but a regular file or a block device. */
    static void requireDeviceKind(String name, FileStat stat) {
        if (stat.isDirectory()) {
            throw notADevice(name, "a directory");
        }
        if (!stat.isFile() && !stat.isBlockDev()) {
            throw notADevice(name, "neither a regular file nor a block device");
        }
    }

    private static MirrorgateException notADevice(String name, String what) {
        return new MirrorgateException(ErrorCode.EINVAL, name + ": is " + what
                + " (expected: a regular file or a block device)");
    }

    /** The logical block size of an open block device ({@code BLKSSZGET}). */
    static int logicalBlockSize(String name, int fd) {
        IntByReference value = new IntByReference();
        if (LinuxCalls.libc().ioctl(fd, LinuxCalls.BLKSSZGET, value) < 0) {
            throw LinuxCalls.failure(LinuxCalls.errno(), name + ": ioctl(BLKSSZGET)");
        }
        int size = value.intValue();
        if (size < 512 || Integer.bitCount(size) != 1) {
            throw new MirrorgateException(ErrorCode.EIO, name + ": logical block size " + size
                    + " (expected: a power of two >= 512)");
        }
        return size;
    }

    /** The size of an open block device: {@code BLKGETSIZE64}, else {@code lseek(SEEK_END)}. */
    static long blockDeviceSize(String name, int fd) {
        LongLongByReference value = new LongLongByReference();
        if (LinuxCalls.libc().ioctl(fd, LinuxCalls.BLKGETSIZE64, value) == 0) {
            return value.longValue();
        }
        LOG.debug("ioctl(BLKGETSIZE64) failed device={} error={}; using lseek", name,
                LinuxCalls.describe(LinuxCalls.errno()));
        long end = LinuxCalls.posix().lseekLong(fd, 0, SEEK_END);
        if (end < 0) {
            throw LinuxCalls.failure(LinuxCalls.errno(), name + ": lseek(SEEK_END)");
        }
        return end;
    }

    /** The configured block size if it fits the device, else the device's own. */
    static int chooseBlockSize(String name, int nativeSize, boolean blockDevice,
            LocalDeviceOptions options) {
        int wanted = options.blockSize();
        if (wanted == 0) {
            return nativeSize;
        }
        if (blockDevice && options.directIo() && wanted < nativeSize) {
            throw new MirrorgateException(ErrorCode.EINVAL, name + ": blockSize " + wanted
                    + " is below the device's logical block size (expected: >= " + nativeSize
                    + " with O_DIRECT)");
        }
        return wanted;
    }

    /** The size rounded down to whole blocks (a partial last block cannot be addressed). */
    static long usableSize(String name, long size, int blockSize) {
        long usable = size - size % blockSize;
        if (usable != size) {
            LOG.warn("device={} size={} is not a multiple of blockSize={}; exporting {} bytes",
                    name, size, blockSize, usable);
        }
        return usable;
    }

    /**
     * Whether the block device {@code rdev} discards, from {@code
     * /sys/dev/block/MAJ:MIN/queue/discard_max_bytes} (the parent's queue for a partition);
     * true when sysfs does not say, so that the first {@code EOPNOTSUPP} decides.
     */
    static boolean discardSupported(long rdev) {
        long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
        long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
        Path dev = Path.of("/sys/dev/block/" + major + ":" + minor);
        try {
            Path real = dev.toRealPath();
            for (Path dir : new Path[] {real, real.getParent()}) {
                Path limit = dir.resolve("queue/discard_max_bytes");
                if (Files.isReadable(limit)) {
                    return Long.parseLong(Files.readString(limit).trim()) > 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("cannot read discard limit sysfs={} error={}", dev, e.toString());
        }
        return true;
    }
}
