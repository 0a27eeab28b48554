package io.mirrorgate.server.device;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlockDevice} on a local regular file (sparse image) or block device.
 *
 * <p>Positional I/O ({@code pread}/{@code pwrite}) through jnr-posix; {@code fdatasync} for
 * flush and for FUA; trim punches a hole in a file ({@code fallocate}) or discards on a block
 * device ({@code BLKDISCARD}); write-zeroes punches a hole in a file (unless asked to keep the
 * range allocated), else uses {@code FALLOC_FL_ZERO_RANGE} or {@code BLKZEROOUT}, and falls
 * back to writing zeroes. Allocation comes from {@code SEEK_DATA}/{@code SEEK_HOLE} (a block
 * device is all data); cache hints are {@code posix_fadvise(WILLNEED)}. With {@link LocalDeviceOptions#directIo()} the
 * descriptor is {@code O_DIRECT}: buffers are 4096-aligned, copied when the caller's are not.
 *
 * <p>Every system call runs on the device's own bounded {@link IoPool}; the calling thread
 * (maybe a Netty event loop) only validates and enqueues, and futures complete on the pool.
 * The exceptions are {@link #readNow} (a read the page cache answers without waiting) and
 * {@link #writeNow} (a write of whole pages into the page cache), both on the caller's thread.
 * Reads return pooled direct buffers that the caller releases.
 */
public final class LocalBlockDevice implements BlockDevice {
    private static final Logger LOG = LoggerFactory.getLogger(LocalBlockDevice.class);
    /** The most extents one {@link #extents} call finds: two {@code lseek}s each. */
    static final int MAX_EXTENTS_PER_CALL = 1024;
    private final DeviceFile file;
    private final boolean readOnly;
    private final IoPool pool;
    private final DeviceCounters counters = new DeviceCounters();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** {@link #readNow}/{@link #writeNow} calls on their callers' threads: the descriptor outlives them. */
    private final AtomicInteger onCallers = new AtomicInteger();
    private final PageCacheWrites pageCache;
    private volatile MirrorgateException closeFailure;

    private LocalBlockDevice(DeviceFile file, LocalDeviceOptions options) {
        this.file = file;
        this.readOnly = options.readOnly();
        this.pageCache = new PageCacheWrites(file.name(), file.directIo(), readOnly);
        this.pool = new IoPool(file.name(), options.ioThreads(), options.maxQueued(),
                counters::rejected, this::release);
    }

    /**
     * Opens a regular file or block device. Fails with a {@link MirrorgateException}: {@code
     * ENOENT} for a missing path, {@code EINVAL} for a directory or another kind of file,
     * {@code EACCES} without permission, {@code EROFS} on a read-only filesystem.
     */
    public static LocalBlockDevice open(Path path, LocalDeviceOptions options) {
        DeviceFile file = DeviceFile.open(path, options);
        LocalBlockDevice device;
        try {
            device = new LocalBlockDevice(file, options);
        } catch (RuntimeException | Error e) {
            try {
                file.close();
            } catch (MirrorgateException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        LOG.info("opened local device device={} kind={} size={} blockSize={} readOnly={}"
                + " directIo={} trim={} ioThreads={} maxQueued={}", file.name(),
                file.isBlockDevice() ? "block" : "file", file.size(), file.blockSize(),
                options.readOnly(), options.directIo(), file.trimSupported(),
                options.ioThreads(), options.maxQueued());
        return device;
    }

    @Override
    public String name() {
        return file.name();
    }

    @Override
    public String identity() {
        return file.identity();
    }

    @Override
    public long size() {
        return file.size();
    }

    @Override
    public int blockSize() {
        return file.blockSize();
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public boolean supportsTrim() {
        return file.trimSupported();
    }

    /** Whether the device is a block device (otherwise a regular file). */
    public boolean isBlockDevice() {
        return file.isBlockDevice();
    }

    /** The request counters so far. */
    public DeviceStats stats() {
        return counters.snapshot();
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        MirrorgateException refused = refuse(DeviceRequests.check(this, offset, length));
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return submit(() -> {
            ByteBuf data = file.read(offset, length);
            counters.read(length);
            return data;
        });
    }

    /** One task of the I/O pool reads every range: one queue slot and one hop, whatever the count. */
    @Override
    public CompletableFuture<ByteBuf> readScattered(Scatter scatter) {
        MirrorgateException refused = refuse(scatter.checkRead(this));
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return submit(() -> {
            ByteBuf data = file.readScattered(scatter);
            counters.read(data.readableBytes());
            return data;
        });
    }

    /**
     * A read served from the page cache on the calling thread ({@code preadv2} with {@code
     * RWF_NOWAIT}), or null when part of it would wait for the disk: no hop to the pool and back
     * for the common case of a cached block.
     */
    @Override
    public ByteBuf readNow(long offset, int length) {
        return onCaller(DeviceRequests.check(this, offset, length), () -> {
            ByteBuf data = file.readNow(offset, length);
            if (data != null) {
                counters.read(length);
            }
            return data;
        });
    }

    /**
     * A buffered write of whole pages done on the calling thread: a copy into the page cache, no
     * hop to the pool and back, when {@link PageCacheWrites} allows it; else null.
     */
    @Override
    public CompletableFuture<Void> writeNow(long offset, ByteBuf data) {
        int length = data.readableBytes();
        if (!pageCache.eligible(offset, length)) {
            return null;
        }
        return onCaller(DeviceRequests.checkWrite(this, offset, length), () -> inPageCache(() -> {
            file.write(offset, data, data.readerIndex(), length);
            counters.wrote(length);
        }));
    }

    /** Runs {@code writes} ({@link PageCacheWrites#timed}); a completed future, failed on an I/O error. */
    private CompletableFuture<Void> inPageCache(Runnable writes) {
        try {
            pageCache.timed(writes);
        } catch (MirrorgateException e) {
            counters.failed();
            return DeviceRequests.failed(e);
        }
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Runs {@code io} on the calling thread unless the device is closed or the request is {@code
     * refused} (then null). Counted in {@link #onCallers} around the closed check, so that the
     * descriptor, released only once closed is set and nothing is counted, outlives the call.
     */
    private <T> T onCaller(MirrorgateException refused, Supplier<T> io) {
        onCallers.incrementAndGet();
        try {
            return closed.get() || refused != null ? null : io.get();
        } finally {
            onCallers.decrementAndGet();
        }
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
        int index = data.readerIndex();
        int length = data.readableBytes();
        MirrorgateException refused = refuse(DeviceRequests.checkWrite(this, offset, length));
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return submit(() -> {
            file.write(offset, data, index, length);
            if (fua) {
                file.fdatasync();
            }
            counters.wrote(length);
            return null;
        });
    }

    /**
     * The ranges the page cache takes at once go on the calling thread ({@link #writeNow}'s
     * rules); the rest in one task of the I/O pool (one queue slot, whatever the count).
     */
    @Override
    public CompletableFuture<Void> writeScattered(Scatter scatter, ByteBuf data, boolean fua) {
        MirrorgateException refused = refuse(scatter.check(this, data.readableBytes()));
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        // the leading ranges writeNow would take, copied in one timed pass on this thread
        int eligible = 0;
        while (!fua && eligible < scatter.count()
                && pageCache.eligible(scatter.offset(eligible), scatter.length(eligible))) {
            eligible++;
        }
        int taken = eligible;
        CompletableFuture<Void> inline = taken == 0 ? null
                : onCaller(null, () -> inPageCache(() -> writeRanges(scatter, data, 0, taken)));
        if (inline != null && (taken == scatter.count() || inline.isCompletedExceptionally())) {
            return inline;
        }
        int from = inline == null ? 0 : taken; // null: none taken, or closed (the pool refuses)
        return submit(() -> {
            writeRanges(scatter, data, from, scatter.count());
            if (fua) {
                file.fdatasync();
            }
            return null;
        });
    }

    /** Writes ranges {@code from} to {@code to - 1} of {@code scatter} from their bytes in {@code data}. */
    private void writeRanges(Scatter scatter, ByteBuf data, int from, int to) {
        int at = data.readerIndex();
        for (int i = 0; i < from; i++) {
            at += scatter.length(i);
        }
        for (int i = from; i < to; i++) {
            file.write(scatter.offset(i), data, at, scatter.length(i));
            counters.wrote(scatter.length(i));
            at += scatter.length(i);
        }
    }

    @Override
    public CompletableFuture<Void> flush() {
        MirrorgateException refused = refuse(null);
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return submit(() -> {
            file.fdatasync();
            counters.flushed();
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> trim(long offset, long length) {
        MirrorgateException refused = refuse(DeviceRequests.checkWrite(this, offset, length));
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return submit(() -> {
            file.trim(offset, length);
            counters.trimmed();
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return writeZeroes(offset, length, fua, 0);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, int flags) {
        MirrorgateException refused = refuse(DeviceRequests.checkWrite(this, offset, length));
        if (refused == null && (flags & ZERO_FAST) != 0 && !supportsFastZero()) {
            refused = new MirrorgateException(ErrorCode.ENOTSUP,
                    name() + ": zeroing is not fast on this device");
        }
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return submit(() -> {
            file.writeZeroes(offset, length, (flags & ZERO_NO_HOLE) != 0, (flags & ZERO_FAST) != 0);
            if (fua) {
                file.fdatasync();
            }
            counters.zeroed(length);
            return null;
        });
    }

    @Override
    public boolean supportsFastZero() {
        return file.fastZero();
    }

    @Override
    public CompletableFuture<List<Extent>> extents(long offset, long length) {
        MirrorgateException refused = refuse(DeviceRequests.checkExtents(this, offset, length));
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return submit(() -> file.extents(offset, length, MAX_EXTENTS_PER_CALL));
    }

    @Override
    public CompletableFuture<Void> cache(long offset, long length) {
        MirrorgateException refused = refuse(DeviceRequests.check(this, offset, length));
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return submit(() -> {
            file.willNeed(offset, length);
            return null;
        });
    }

    private MirrorgateException refuse(MirrorgateException invalid) {
        if (closed.get()) {
            return new MirrorgateException(ErrorCode.ESHUTDOWN, name() + ": device is closed");
        }
        return invalid;
    }

    private <T> CompletableFuture<T> submit(Callable<T> request) {
        return pool.submit(() -> {
            try {
                return request.call();
            } catch (RuntimeException | Error e) {
                counters.failed();
                LOG.debug("device={} request failed: {}", name(), e.getMessage());
                throw e;
            }
        });
    }

    /**
     * Stops accepting requests, lets those in flight finish, then syncs (unless read-only) and
     * closes the descriptor. Blocks until then, except when called from the device's own I/O
     * thread (a future's callback), where the release happens when the last request ends.
     * Idempotent; a failed final sync is thrown by the first close only.
     */
    @Override
    public void close() {
        boolean first = closed.compareAndSet(false, true);
        if (first) {
            LOG.info("closing local device device={} stats={}", name(), counters.snapshot());
            pool.shutdown();
        }
        if (pool.onPoolThread()) {
            return;
        }
        try {
            pool.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MirrorgateException(ErrorCode.EIO, name()
                    + ": interrupted while waiting for in-flight I/O; the descriptor is closed"
                    + " when it ends", e);
        }
        MirrorgateException failure = closeFailure;
        if (first && failure != null) {
            throw failure;
        }
    }

    /** Runs once on pool termination: the final sync, then the descriptor. */
    private void release() {
        // closed is set: a readNow that has not counted itself yet will not touch the descriptor
        while (onCallers.get() > 0) {
            Thread.onSpinWait();
        }
        MirrorgateException failure = null;
        if (!readOnly) {
            try {
                file.fdatasync();
            } catch (MirrorgateException e) {
                failure = e;
            }
        }
        try {
            file.close();
        } catch (MirrorgateException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            LOG.error("device={} close failed: {}", name(), failure.getMessage());
            closeFailure = failure;
        }
    }
}
