package io.mirrorgate.server.device;

import static io.mirrorgate.server.device.LinuxCalls.EINTR;
import static io.mirrorgate.server.device.LinuxCalls.EOPNOTSUPP;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import jnr.posix.FileStat;
import jnr.posix.POSIX;

/**
 * An open regular file or block device and the system calls on it. Every method but {@link
 * #readNow} may block; {@link LocalBlockDevice} calls them on its I/O pool, except {@link
 * #readNow} and the page-cache copies of {@link LocalBlockDevice#writeNow}, which run on the
 * caller's thread. Requests are already validated; failures are {@link MirrorgateException}s
 * carrying the errno's code.
 */
final class DeviceFile {
    /** Write-zeroes falls back to writing zero buffers of at most this size. */
    static final int ZERO_CHUNK = 1 << 20;

    private final POSIX posix = LinuxCalls.posix();
    private final String name;
    private final String identity;
    private final int fd;
    private final boolean blockDevice;
    private final boolean directIo;
    private final long size;
    private final int blockSize;
    private volatile boolean trimSupported;
    private volatile boolean zeroRangeSupported = true;
    private final AllocationScan allocation;
    /** Whether {@code preadv2(RWF_NOWAIT)} is worth trying: not O_DIRECT, not refused by the kernel. */
    private volatile boolean noWaitReads;

    private DeviceFile(String name, String identity, int fd, boolean blockDevice, boolean directIo,
            long size, int blockSize, boolean trimSupported) {
        this.name = name;
        this.identity = identity;
        this.fd = fd;
        this.blockDevice = blockDevice;
        this.directIo = directIo;
        this.size = size;
        this.blockSize = blockSize;
        this.trimSupported = trimSupported;
        this.noWaitReads = !directIo;
        this.allocation = new AllocationScan(name, fd, blockSize);
    }

    /** Opens {@code path}; a failure closes what it opened and says what to do. */
    static DeviceFile open(Path path, LocalDeviceOptions options) {
        String name = path.toString();
        int flags = (options.readOnly() ? LinuxCalls.O_RDONLY : LinuxCalls.O_RDWR)
                | LinuxCalls.O_CLOEXEC | (options.directIo() ? LinuxCalls.oDirect() : 0);
        POSIX posix = LinuxCalls.posix();
        int fd = posix.open(name, flags, 0);
        if (fd < 0) {
            throw DeviceProbe.openFailure(name, LinuxCalls.errno(), options);
        }
        try {
            FileStat stat = posix.allocateStat();
            if (posix.fstat(fd, stat) < 0) {
                throw LinuxCalls.failure(LinuxCalls.errno(), name + ": fstat");
            }
            DeviceProbe.requireDeviceKind(name, stat);
            boolean blockDevice = stat.isBlockDev();
            int nativeBlockSize = blockDevice ? DeviceProbe.logicalBlockSize(name, fd)
                    : options.directIo() ? IoBuffers.ALIGNMENT : 512;
            int blockSize = DeviceProbe.chooseBlockSize(name, nativeBlockSize, blockDevice,
                    options);
            long rawSize = blockDevice ? DeviceProbe.blockDeviceSize(name, fd) : stat.st_size();
            long size = DeviceProbe.usableSize(name, rawSize, blockSize);
            boolean trim = !blockDevice || DeviceProbe.discardSupported(stat.rdev());
            return new DeviceFile(name, identity(path, stat), fd, blockDevice, options.directIo(),
                    size, blockSize,
                    trim);
        } catch (RuntimeException | Error e) {
            if (posix.close(fd) < 0) {
                e.addSuppressed(LinuxCalls.failure(LinuxCalls.errno(), name + ": close"));
            }
            throw e;
        }
    }

    String name() {
        return name;
    }

    /** See {@link BlockDevice#identity()}. */
    String identity() {
        return identity;
    }

    /**
     * A block device is its device number ({@code block-device 8:16}), whichever node or
     * symlink opened it; a file is its canonical path (symlinks, {@code .} and {@code ..}
     * resolved).
     */
    static String identity(Path path, FileStat stat) {
        if (stat.isBlockDev()) {
            long rdev = stat.rdev();
            // glibc's gnu_dev_major/minor
            long major = ((rdev >>> 8) & 0xfffL) | ((rdev >>> 32) & ~0xfffL);
            long minor = (rdev & 0xffL) | ((rdev >>> 12) & ~0xffL);
            return "block-device " + major + ":" + minor;
        }
        try {
            return path.toRealPath().toString();
        } catch (java.io.IOException e) {
            return path.toAbsolutePath().normalize().toString();
        }
    }

    boolean isBlockDevice() {
        return blockDevice;
    }

    long size() {
        return size;
    }

    int blockSize() {
        return blockSize;
    }

    boolean directIo() {
        return directIo;
    }

    boolean trimSupported() {
        return trimSupported;
    }

    /** Reads {@code length} bytes at {@code offset} into a new direct buffer (caller releases). */
    ByteBuf read(long offset, int length) {
        ByteBuf buf = IoBuffers.allocate(length, directIo);
        try {
            readFully(buf.nioBuffer(0, length), offset);
            return buf;
        } catch (RuntimeException | Error e) {
            buf.release();
            throw e;
        }
    }

    /**
     * Reads the ranges of {@code scatter} into one new buffer, back to back (caller releases).
     * Through the page cache, every range is first hinted ({@code WILLNEED}): the kernel queues
     * their reads to the disk together, and the reads then wait for one another's I/O at most.
     */
    ByteBuf readScattered(Scatter scatter) {
        int length = Math.toIntExact(scatter.bytes());
        ByteBuf buf = IoBuffers.allocate(length, directIo);
        try {
            if (!directIo && scatter.count() > 1) {
                for (int i = 0; i < scatter.count(); i++) {
                    willNeed(scatter.offset(i), scatter.length(i));
                }
            }
            int at = 0;
            for (int i = 0; i < scatter.count(); i++) {
                readFully(buf.nioBuffer(at, scatter.length(i)), scatter.offset(i));
                at += scatter.length(i);
            }
            buf.writerIndex(length);
            return buf;
        } catch (RuntimeException | Error e) {
            buf.release();
            throw e;
        }
    }

    /**
     * Reads {@code length} bytes at {@code offset} only if the page cache holds all of them
     * ({@code preadv2} with {@code RWF_NOWAIT}): it never waits for the disk, so unlike the
     * other methods it may run on an event loop. Null when any part would wait, on O_DIRECT,
     * or when the kernel cannot say (then never tried again); the caller reads through the pool.
     */
    ByteBuf readNow(long offset, int length) {
        if (!noWaitReads) {
            return null;
        }
        ByteBuf buf = IoBuffers.allocate(length, false);
        if (!buf.hasMemoryAddress()) {
            buf.release();
            noWaitReads = false;
            return null;
        }
        long n = LinuxCalls.libc().preadv2(fd, new long[] {buf.memoryAddress(), length}, 1, offset,
                LinuxCalls.RWF_NOWAIT);
        if (n == length) {
            return buf;
        }
        buf.release();
        if (n < 0) {
            int errno = LinuxCalls.errno();
            if (errno != LinuxCalls.EAGAIN && errno != EINTR) {
                // ENOSYS, EOPNOTSUPP, EINVAL: this kernel or file cannot say; the pool reads,
                // and reports any real I/O error with its context
                noWaitReads = false;
            }
        }
        return null;
    }

    /** Writes {@code length} bytes of {@code data} from {@code index}, without taking it. */
    void write(long offset, ByteBuf data, int index, int length) {
        if (directIo && (data.nioBufferCount() != 1
                || !IoBuffers.isAligned(data.nioBuffer(index, length)))) {
            ByteBuf aligned = IoBuffers.allocate(length, true);
            try {
                aligned.setBytes(0, data, index, length);
                writeFully(aligned.nioBuffer(0, length), offset);
            } finally {
                aligned.release();
            }
            return;
        }
        long pos = offset;
        for (ByteBuffer part : data.nioBuffers(index, length)) {
            int n = part.remaining();
            writeFully(part, pos);
            pos += n;
        }
    }

    /** {@code pread} or {@code pwrite}: the bytes transferred, or -1 with errno set. */
    private interface PositionalIo {
        long transfer(int fd, ByteBuffer buf, long count, long offset);
    }

    private void readFully(ByteBuffer dst, long offset) {
        transferFully(posix::pread, "read", dst, offset);
    }

    private void writeFully(ByteBuffer src, long offset) {
        transferFully(posix::pwrite, "write", src, offset);
    }

    /** Repeats {@code io} until {@code buf} is done: short transfers go on, EINTR retries. */
    private void transferFully(PositionalIo io, String verb, ByteBuffer buf, long offset) {
        long pos = offset;
        while (buf.hasRemaining()) {
            long n = io.transfer(fd, buf, buf.remaining(), pos);
            if (n < 0) {
                int errno = LinuxCalls.errno();
                if (errno == EINTR) {
                    continue;
                }
                throw LinuxCalls.failure(errno, String.format(
                        "%s: %s of %d bytes at offset %d", name, verb, buf.remaining(), pos));
            }
            if (n == 0) {
                throw new MirrorgateException(ErrorCode.EIO, String.format(
                        "%s: %s of %d bytes at offset %d made no progress (expected: data up to"
                                + " %d; was the file truncated?)", name, verb, buf.remaining(),
                        pos, size));
            }
            buf.position(buf.position() + (int) n);
            pos += n;
        }
    }

    /** Makes completed writes durable. */
    void fdatasync() {
        while (posix.fdatasync(fd) < 0) {
            int errno = LinuxCalls.errno();
            if (errno != EINTR) {
                throw LinuxCalls.failure(errno, name + ": fdatasync");
            }
        }
    }

    /** Punches a hole (file) or discards (block device); a no-op where unsupported. */
    void trim(long offset, long length) {
        if (!trimSupported || length == 0) {
            return;
        }
        int errno = blockDevice
                ? ioctlRange(LinuxCalls.BLKDISCARD, offset, length)
                : fallocate(LinuxCalls.FALLOC_FL_PUNCH_HOLE | LinuxCalls.FALLOC_FL_KEEP_SIZE,
                        offset, length);
        if (errno == EOPNOTSUPP) {
            trimSupported = false;
            return;
        }
        if (errno != 0) {
            throw LinuxCalls.failure(errno, String.format(
                    "%s: trim of %d bytes at offset %d", name, length, offset));
        }
    }

    /** Whether zeroing a range never needs writing zero buffers (file, hole punch or ZERO_RANGE). */
    boolean fastZero() {
        return !blockDevice && (trimSupported || zeroRangeSupported);
    }

    /**
     * Zeroes a range. Without {@code noHole} a file gets a hole punched (it reads as zeroes and
     * stays sparse); with it, or where punching is unsupported, {@code FALLOC_FL_ZERO_RANGE}
     * (file) or {@code BLKZEROOUT} (block device); the last resort writes zero buffers in {@link
     * #ZERO_CHUNK} pieces, unless {@code fastOnly}, which fails with {@code ENOTSUP} instead.
     */
    void writeZeroes(long offset, long length, boolean noHole, boolean fastOnly) {
        if (length == 0) {
            return;
        }
        if (!blockDevice && !noHole && trimSupported) {
            trim(offset, length);
            if (trimSupported) {
                return;
            }
        }
        if (zeroRangeSupported) {
            int errno = blockDevice
                    ? ioctlRange(LinuxCalls.BLKZEROOUT, offset, length)
                    : fallocate(LinuxCalls.FALLOC_FL_ZERO_RANGE | LinuxCalls.FALLOC_FL_KEEP_SIZE,
                            offset, length);
            if (errno == 0) {
                return;
            }
            if (errno != EOPNOTSUPP) {
                throw LinuxCalls.failure(errno, String.format(
                        "%s: write-zeroes of %d bytes at offset %d", name, length, offset));
            }
            zeroRangeSupported = false;
        }
        if (fastOnly) {
            throw new MirrorgateException(ErrorCode.ENOTSUP, String.format("%s: fast write-zeroes"
                    + " of %d bytes at offset %d: the filesystem cannot zero without writing",
                    name, length, offset));
        }
        writeZeroesByWriting(offset, length);
    }

    /**
     * The allocation of {@code [offset, offset + length)}: at most {@code maxExtents} extents
     * ({@link AllocationScan}); a block device answers "all data".
     */
    List<Extent> extents(long offset, long length, int maxExtents) {
        return blockDevice ? List.of(new Extent(offset, length, Extent.Allocation.DATA))
                : allocation.extents(offset, length, maxExtents);
    }

    /** Reads the range ahead into the page cache ({@code POSIX_FADV_WILLNEED}); a hint only. */
    void willNeed(long offset, long length) {
        int errno = LinuxCalls.libc().posix_fadvise(fd, offset, length,
                LinuxCalls.POSIX_FADV_WILLNEED);
        if (errno != 0 && errno != EOPNOTSUPP && errno != LinuxCalls.EINVAL) {
            throw LinuxCalls.failure(errno, String.format(
                    "%s: posix_fadvise(WILLNEED) of %d bytes at offset %d", name, length, offset));
        }
    }

    /** Writes zero buffers of at most {@link #ZERO_CHUNK} bytes over the range. */
    void writeZeroesByWriting(long offset, long length) {
        int chunk = (int) Math.min(ZERO_CHUNK, length);
        ByteBuf zeroes = IoBuffers.zeroes(chunk, directIo);
        try {
            for (long pos = offset; pos < offset + length; pos += chunk) {
                int n = (int) Math.min(chunk, offset + length - pos);
                writeFully(zeroes.nioBuffer(0, n), pos);
            }
        } finally {
            zeroes.release();
        }
    }

    private int fallocate(int mode, long offset, long length) {
        while (LinuxCalls.libc().fallocate(fd, mode, offset, length) < 0) {
            int errno = LinuxCalls.errno();
            if (errno != EINTR) {
                return errno;
            }
        }
        return 0;
    }

    private int ioctlRange(long request, long offset, long length) {
        while (LinuxCalls.libc().ioctl(fd, request, new long[] {offset, length}) < 0) {
            int errno = LinuxCalls.errno();
            if (errno != EINTR) {
                return errno;
            }
        }
        return 0;
    }

    /** Closes the descriptor (once: the device calls this from its close only). */
    void close() {
        if (posix.close(fd) < 0) {
            throw LinuxCalls.failure(LinuxCalls.errno(), name + ": close");
        }
    }
}
