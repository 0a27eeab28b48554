package io.mirrorgate.server.device;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.LongLongByReference;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The Linux system calls the local device needs: jnr-posix for open, pread, pwrite, fstat and
 * fdatasync, and a small jnr-ffi binding for what jnr-posix lacks ({@code ioctl}, {@code
 * fallocate}, {@code lseek} with SEEK_DATA/SEEK_HOLE, {@code posix_fadvise}, {@code preadv2},
 * {@code getrusage}). Constants are the Linux x86-64 / aarch64 values.
 */
final class LinuxCalls {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;

    static final int EINTR = 4;
    static final int ENXIO = 6;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;

    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int POSIX_FADV_WILLNEED = 3;
    static final int EAGAIN = 11;
    /** {@code preadv2} flag: fail with EAGAIN instead of waiting for the disk. */
    static final int RWF_NOWAIT = 0x08;
    static final int RUSAGE_THREAD = 1;
    /** The index of {@code ru_nvcsw} (voluntary context switches) in a {@code struct rusage} of longs. */
    private static final int RU_NVCSW = 16;

    /** {@code _IOR(0x12, 114, size_t)}: the size of a block device in bytes. */
    static final long BLKGETSIZE64 = 0x80081272L;
    /** {@code _IO(0x12, 104)}: the logical sector size of a block device. */
    static final long BLKSSZGET = 0x1268L;
    /** {@code _IO(0x12, 119)}: discard a {@code uint64_t[2] {offset, length}} range. */
    static final long BLKDISCARD = 0x1277L;
    /** {@code _IO(0x12, 127)}: write zeroes over a {@code uint64_t[2] {offset, length}} range. */
    static final long BLKZEROOUT = 0x127fL;

    /** The jnr-ffi binding of the libc functions jnr-posix does not offer. */
    public interface LibC {
        int fallocate(int fd, int mode, long offset, long length);

        long lseek(int fd, long offset, int whence);

        /** Returns the error number itself (0 on success), not -1 with errno. */
        int posix_fadvise(int fd, long offset, long length, int advice);

        int ioctl(int fd, long request, @Out LongLongByReference value);

        int ioctl(int fd, long request, @Out IntByReference value);

        int ioctl(int fd, long request, @In long[] range);

        /** {@code iov} is one {@code struct iovec}: {@code {base address, length}}. */
        long preadv2(int fd, @In long[] iov, int iovcnt, long offset, int flags);

        /** {@code usage}: a {@code struct rusage} as 18 longs (x86-64, aarch64). */
        int getrusage(int who, @Out long[] usage);
    }

    private static final class Holder {
        static final POSIX POSIX = POSIXFactory.getNativePOSIX();
        static final LibC LIBC = LibraryLoader.create(LibC.class)
                .option(LibraryOption.SaveError, true)
                .load("c");
    }

    private LinuxCalls() {}

    static POSIX posix() {
        return Holder.POSIX;
    }

    static LibC libc() {
        return Holder.LIBC;
    }

    /**
     * How many times the calling thread has gone to sleep of its own accord (waited: I/O, a lock,
     * the kernel throttling a writer), not counting preemption; -1 if the kernel cannot say.
     */
    static long voluntarySwitches() {
        long[] usage = new long[18];
        return Holder.LIBC.getrusage(RUSAGE_THREAD, usage) == 0 ? usage[RU_NVCSW] : -1;
    }

    /** The errno of the last failed call on this thread. */
    static int errno() {
        return Holder.POSIX.errno();
    }

    /** The {@code O_DIRECT} flag of this architecture (jnr-posix has no constant for it). */
    static int oDirect() {
        String arch = System.getProperty("os.arch");
        switch (arch) {
            case "amd64":
            case "x86_64":
                return 0x4000;
            case "aarch64":
                return 0x10000;
            default:
                throw new MirrorgateException(ErrorCode.ENOTSUP,
                        "O_DIRECT is not known on architecture " + arch
                                + " (expected: amd64 or aarch64); open the device without directIo");
        }
    }

    /** "No such file or directory (errno 2)". */
    static String describe(int errno) {
        Errno known = Errno.valueOf(errno);
        String text = known != null && known.defined() ? known.description() : "unknown error";
        return text + " (errno " + errno + ")";
    }

    /** A failure of a system call, carrying the matching error code. */
    static MirrorgateException failure(int errno, String what) {
        return new MirrorgateException(ErrorCode.fromErrno(errno), what + ": " + describe(errno));
    }
}
