package io.mirrorgate.server.device;

import io.mirrorgate.common.error.ErrorCode;
import io.mirrorgate.common.error.MirrorgateException;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The block device every layer of Mirrorgate speaks: a local file or disk, a remote export, or
 * the mirror of the two.
 *
 * <p>All I/O is asynchronous. Offsets and lengths are in bytes and must be multiples of
 * {@link #blockSize()} and lie within {@link #size()}; a request that does not fails (its future
 * completes exceptionally with a {@link io.mirrorgate.common.error.MirrorgateException} whose
 * code is {@code EINVAL} or {@code EOVERFLOW}) and touches nothing. {@link
 * DeviceRequests#check} is the shared validation.
 *
 * <p>Buffer ownership: {@link #read} returns a buffer that the caller must release. {@link
 * #write} does <em>not</em> take ownership of {@code data}: the caller keeps it readable and
 * unmodified until the returned future completes, and releases it afterwards. This lets the
 * mirror hand the same buffer to the local and the remote device without a copy.
 *
 * <p>Durability: a completed write is durable only when it was issued with {@code fua} or a
 * later {@link #flush()} has completed.
 *
 * <p>Allocation ({@link #extents}): a device may say which ranges are holes or read as zeroes,
 * so that copies and NBD clients skip them; a device that cannot tell says "all data".
 */
public interface BlockDevice extends AutoCloseable {
    /** {@link #writeZeroes(long, long, boolean, int)} flag: the range must stay allocated. */
    int ZERO_NO_HOLE = 1;
    /** {@link #writeZeroes(long, long, boolean, int)} flag: fail with ENOTSUP unless fast. */
    int ZERO_FAST = 2;

    /** A short name for logs and errors (a path or an address). */
    String name();

    /**
     * What this device <em>is</em>, whatever name reached it: the key of its fencing state (the
     * highest epoch and the generation a ggate server keeps per device). Two exports names,
     * paths or symlinks that reach the same file or disk must give the same identity. The
     * default is {@link #name()}; a local device says its canonical path, or for a block device
     * its device number.
     */
    default String identity() {
        return name();
    }

    /** The size in bytes. */
    long size();

    /** The logical block size in bytes (a power of two, at least 512 unless stated). */
    int blockSize();

    /** Whether writes, trims and write-zeroes are refused. */
    boolean isReadOnly();

    /** Whether {@link #trim} actually discards (otherwise it is accepted and does nothing). */
    default boolean supportsTrim() {
        return true;
    }

    /** Reads {@code length} bytes at {@code offset}; the caller releases the returned buffer. */
    CompletableFuture<ByteBuf> read(long offset, int length);

    /**
     * The bytes at {@code offset} if this device has them at hand without waiting (no disk, no
     * network, no lock held for long), read on the calling thread, which may be an event loop:
     * a buffer of exactly {@code length} bytes that the caller releases; or null, and the caller
     * calls {@link #read}. Null also for anything {@link #read} would refuse. The default is null.
     */
    default ByteBuf readNow(long offset, int length) {
        return null;
    }

    /**
     * Writes {@code data} (not taken: the caller still releases it) at {@code offset} on the
     * calling thread, which may be an event loop, if this device can do so without waiting (a
     * copy into memory): a completed future, failed on an error; or null, and the caller calls
     * {@link #write}. Never durable by itself (no FUA). Null also for anything {@link #write}
     * would refuse. The default is null.
     */
    default CompletableFuture<Void> writeNow(long offset, ByteBuf data) {
        return null;
    }

    /** A write {@code device} does at once ({@link #writeNow}) unless FUA, or else its {@link #write}. */
    static CompletableFuture<Void> writePreferringNow(BlockDevice device, long offset, ByteBuf data,
            boolean fua) {
        CompletableFuture<Void> now = fua ? null : device.writeNow(offset, data);
        return now != null ? now : device.write(offset, data, fua);
    }

    /**
     * A read {@code device} answers at once ({@link #readNow}: no hop to its I/O threads and
     * back), or else its ordinary {@link #read}.
     */
    static CompletableFuture<ByteBuf> readPreferringNow(BlockDevice device, long offset, int length) {
        ByteBuf now = device.readNow(offset, length);
        return now != null ? CompletableFuture.completedFuture(now) : device.read(offset, length);
    }

    /**
     * Writes the readable bytes of {@code data} at {@code offset}. With {@code fua}, the write
     * is durable when the future completes.
     */
    CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua);

    /**
     * The most ranges a {@link #writeScattered} of this device sends as one request. 1, the
     * default: it writes them one by one, and a caller gains nothing by gathering them.
     */
    default int maxScatteredRanges() {
        return 1;
    }

    /**
     * Writes the ranges of {@code scatter}, their bytes back to back in {@code data} (not taken,
     * as with {@link #write}); with {@code fua}, durable on completion. A range that fails fails
     * the whole (the others may have been written, as a failed write may have written part of
     * its range); a scatter that does not fit the device ({@link Scatter#check}) touches
     * nothing. The default writes each range ({@link #writePreferringNow}).
     */
    default CompletableFuture<Void> writeScattered(Scatter scatter, ByteBuf data, boolean fua) {
        MirrorgateException refused = scatter.check(this, data.readableBytes());
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        CompletableFuture<?>[] parts = new CompletableFuture<?>[scatter.count()];
        int at = data.readerIndex();
        for (int i = 0; i < parts.length; i++) {
            long offset = scatter.offset(i);
            ByteBuf piece = data.slice(at, scatter.length(i));
            try {
                parts[i] = writePreferringNow(this, offset, piece, fua);
            } catch (RuntimeException e) {
                parts[i] = DeviceRequests.failed(e);
            }
            at += scatter.length(i);
        }
        return CompletableFuture.allOf(parts);
    }

    /**
     * Reads the ranges of {@code scatter} into one buffer, their bytes back to back in order
     * (the caller releases it); fails as a whole when a range fails. The default issues one
     * {@link #read} per range, all at once: a device with a bounded queue overrides it.
     */
    default CompletableFuture<ByteBuf> readScattered(Scatter scatter) {
        List<CompletableFuture<ByteBuf>> parts = new ArrayList<>(scatter.count());
        for (int i = 0; i < scatter.count(); i++) {
            try {
                parts.add(read(scatter.offset(i), scatter.length(i)));
            } catch (RuntimeException e) {
                parts.add(DeviceRequests.failed(e));
            }
        }
        return Scatter.join(parts);
    }

    /** Makes every completed write durable. */
    CompletableFuture<Void> flush();

    /** Discards the range: later reads return zeroes or the old data, never anything else. */
    CompletableFuture<Void> trim(long offset, long length);

    /** Writes zeroes over the range (may deallocate); with {@code fua}, durable on completion. */
    CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua);

    /**
     * Writes zeroes over the range with {@code flags}: {@link #ZERO_NO_HOLE} keeps the range
     * allocated (no hole is punched), {@link #ZERO_FAST} fails at once with {@code ENOTSUP},
     * touching nothing, when zeroing would mean writing the zeroes. A device whose {@link
     * #writeZeroes(long, long, boolean)} may deallocate must override this; the default is for
     * devices that never do and never zero fast.
     */
    default CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua, int flags) {
        if ((flags & ZERO_FAST) != 0 && !supportsFastZero()) {
            return DeviceRequests.failed(new MirrorgateException(ErrorCode.ENOTSUP,
                    name() + ": zeroing is not fast on this device"));
        }
        return writeZeroes(offset, length, fua);
    }

    /** Whether {@link #ZERO_FAST} write-zeroes can succeed (zeroing without writing zeroes). */
    default boolean supportsFastZero() {
        return false;
    }

    /**
     * The allocation of {@code [offset, offset + length)} ({@code length > 0}): extents in
     * order, contiguous, the first starting at {@code offset}, at least one, together covering
     * at most {@code length} bytes. The answer may stop early (each device bounds its work per
     * call): the caller asks again from where it ends. The default says "all data".
     */
    default CompletableFuture<List<Extent>> extents(long offset, long length) {
        MirrorgateException refused = DeviceRequests.checkExtents(this, offset, length);
        if (refused != null) {
            return DeviceRequests.failed(refused);
        }
        return CompletableFuture.completedFuture(
                List.of(new Extent(offset, length, Extent.Allocation.DATA)));
    }

    /**
     * Hints that the range will be read soon (NBD_CMD_CACHE): a local file reads it ahead. The
     * default does nothing.
     */
    default CompletableFuture<Void> cache(long offset, long length) {
        MirrorgateException refused = DeviceRequests.check(this, offset, length);
        return refused != null ? DeviceRequests.failed(refused)
                : CompletableFuture.completedFuture(null);
    }

    /** Releases the device. Idempotent; in-flight requests finish or fail first. */
    @Override
    void close();
}
